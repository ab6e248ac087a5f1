#include "studio/project/recovery.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QStandardPaths>
#include <algorithm>
#include <cerrno>
#include <csignal>

#include "engine/error.h"
#include "studio/atomic_file.h"
#include "studio/document/document.h"
#include "studio/project/project_file.h"

namespace dit::studio {

RecoveryStore::RecoveryStore(const QString& dir)
    : dir_(dir.isEmpty() ? QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + "/recovery" : dir) {
    session_ = QString("%1/session-%2-%3").arg(dir_).arg(QCoreApplication::applicationPid()).arg(QDateTime::currentMSecsSinceEpoch());
}

bool RecoveryStore::process_running(qint64 pid) {
    if (pid <= 0) return false;
    // Signal 0 checks existence only; EPERM means it runs under another user.
    return ::kill(pid_t(pid), 0) == 0 || errno == EPERM;
}

std::vector<RecoveryStore::Entry> RecoveryStore::pending() const {
    std::vector<Entry> out;
    const QDir d(dir_);
    for (const QString& name : d.entryList({"session-*"}, QDir::Dirs | QDir::NoDotAndDotDot)) {
        const QString folder = d.filePath(name);
        if (folder == session_ || !QFile::exists(folder + "/project/project.json")) continue;
        Entry e;
        e.folder = folder;
        QFile lock(folder + "/lock");
        if (lock.open(QIODevice::ReadOnly)) e.pid = lock.readAll().trimmed().toLongLong();
        if (e.pid == QCoreApplication::applicationPid() || process_running(e.pid)) continue;  // still alive
        QFile meta(folder + "/meta.json");
        if (meta.open(QIODevice::ReadOnly)) {
            const QJsonObject m = QJsonDocument::fromJson(meta.readAll()).object();
            e.project_path = m["project"].toString();
            e.saved = QDateTime::fromString(m["saved"].toString(), Qt::ISODateWithMs);
        }
        out.push_back(e);
    }
    std::sort(out.begin(), out.end(), [](const Entry& a, const Entry& b) { return a.saved > b.saved; });
    return out;
}

DocumentState RecoveryStore::restore(const Entry& e) const { return load_project(e.folder + "/project"); }

void RecoveryStore::discard(const Entry& e) const { QDir(e.folder).removeRecursively(); }

void RecoveryStore::save(const DocumentState& state, const QString& project_path) {
    if (!QDir().mkpath(session_)) throw Error((session_ + ": cannot create folder").toStdString());
    write_file_atomically(session_ + "/lock", QByteArray::number(QCoreApplication::applicationPid()));
    save_project(state, session_ + "/project");
    const QJsonObject meta{{"project", project_path},
                           {"saved", QDateTime::currentDateTime().toString(Qt::ISODateWithMs)},
                           {"pid", double(QCoreApplication::applicationPid())}};
    write_file_atomically(session_ + "/meta.json", QJsonDocument(meta).toJson());
}

void RecoveryStore::clear() { QDir(session_).removeRecursively(); }

Autosaver::Autosaver(Document* doc, RecoveryStore* store, int interval_s, QObject* parent)
    : QObject(parent), doc_(doc), store_(store) {
    connect(doc_->undoStack(), &QUndoStack::indexChanged, this, [this] { dirty_ = true; });
    // A new result is work to keep too, though it is not an undo step.
    connect(doc_, &Document::layerChanged, this, [this](Document::Layer l, QRect, quint32) {
        if (l == Document::Layer::Results) dirty_ = true;
    });
    connect(&timer_, &QTimer::timeout, this, [this] { saveIfDirty(); });
    setInterval(interval_s);
}

void Autosaver::setInterval(int seconds) {
    timer_.start(std::max(1, seconds) * 1000);
}

bool Autosaver::saveIfDirty() {
    if (!dirty_) return false;
    try {
        store_->save(doc_->state(), project_path_);
        dirty_ = false;
        emit autosaved(store_->sessionFolder());
        return true;
    } catch (const std::exception& e) {
        emit failed(QString::fromUtf8(e.what()));
        return false;
    }
}

}  // namespace dit::studio
