#pragma once
// Autosave and crash recovery. Each running studio autosaves into its own session folder under
// the recovery folder:  <dir>/session-<pid>-<ms>/{lock, meta.json, project/}.
// The lock holds the PID; a session folder whose PID no longer runs was left by a crash, and
// pending() offers it on the next start. A clean exit removes the folder.
#include <QDateTime>
#include <QObject>
#include <QTimer>
#include <vector>

#include "studio/document/document_state.h"

namespace dit::studio {

class Document;

class RecoveryStore {
public:
    // `dir` empty: QStandardPaths::AppDataLocation + "/recovery".
    explicit RecoveryStore(const QString& dir = {});
    QString dir() const { return dir_; }

    struct Entry {
        QString folder;        // the session folder
        QString project_path;  // the project it was editing ("" for an unsaved document)
        QDateTime saved;
        qint64 pid = 0;        // 0: no readable lock
    };
    // Autosaves left by sessions that no longer run, newest first.
    std::vector<Entry> pending() const;
    DocumentState restore(const Entry& e) const;  // throws dit::Error naming the file
    void discard(const Entry& e) const;

    // This process's session folder.
    QString sessionFolder() const { return session_; }
    // Autosaves `state` (atomically, as a project) and refreshes the lock. Throws dit::Error.
    void save(const DocumentState& state, const QString& project_path);
    // Clean exit: removes this session's folder.
    void clear();

    static bool process_running(qint64 pid);

private:
    QString dir_, session_;
};

// Saves the document to a RecoveryStore every `interval` while it has unsaved edits.
class Autosaver : public QObject {
    Q_OBJECT
public:
    Autosaver(Document* doc, RecoveryStore* store, int interval_s = 60, QObject* parent = nullptr);
    void setInterval(int seconds);
    void setProjectPath(const QString& path) { project_path_ = path; }
    // Saves now if there are edits since the last autosave; returns whether it saved.
    bool saveIfDirty();

signals:
    void autosaved(QString folder);
    void failed(QString message);

private:
    Document* doc_;
    RecoveryStore* store_;
    QTimer timer_;
    QString project_path_;
    bool dirty_ = false;
};

}  // namespace dit::studio
