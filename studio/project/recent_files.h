#pragma once
// The recent projects list, kept in QSettings (key "recent/projects"), newest first.
#include <QSettings>
#include <QStringList>

namespace dit::studio {

class RecentFiles {
public:
    explicit RecentFiles(QSettings* settings, int max = 10) : settings_(settings), max_(max) {}
    QStringList files() const;
    // Moves `path` (made absolute) to the front, dropping duplicates and the oldest past `max`.
    void add(const QString& path);
    void remove(const QString& path);
    void clear();
    // Drops entries that no longer exist on disk; returns what is left.
    QStringList prune();

private:
    void store(const QStringList& list);
    QSettings* settings_;
    int max_;
};

}  // namespace dit::studio
