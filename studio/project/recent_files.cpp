#include "studio/project/recent_files.h"

#include <QDir>
#include <QFileInfo>

namespace dit::studio {

static const char* kKey = "recent/projects";

static QString normal(const QString& p) { return QDir::cleanPath(QFileInfo(p).absoluteFilePath()); }

QStringList RecentFiles::files() const { return settings_->value(kKey).toStringList(); }

void RecentFiles::store(const QStringList& list) {
    settings_->setValue(kKey, list);
    settings_->sync();
}

void RecentFiles::add(const QString& path) {
    QStringList l = files();
    const QString p = normal(path);
    l.removeAll(p);
    l.prepend(p);
    while (l.size() > max_) l.removeLast();
    store(l);
}

void RecentFiles::remove(const QString& path) {
    QStringList l = files();
    l.removeAll(normal(path));
    store(l);
}

void RecentFiles::clear() { store({}); }

QStringList RecentFiles::prune() {
    QStringList l;
    for (const QString& p : files())
        if (QFileInfo::exists(p)) l << p;
    store(l);
    return l;
}

}  // namespace dit::studio
