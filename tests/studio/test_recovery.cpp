// Autosave and crash recovery: an autosave left by a process that is gone is found on the next
// start and restores the document; live sessions' autosaves are not offered.
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>
#include <unistd.h>

#include "studio/document/document.h"
#include "studio/project/recovery.h"

using namespace dit::studio;

namespace {

// The PID of a process that has exited (and been reaped), so no process has it for now.
qint64 dead_pid() {
    QProcess p;
    p.start("true", {});
    p.waitForFinished();
    return p.processId() ? p.processId() : 999999;
}

void copy_dir(const QString& from, const QString& to) {
    QDir().mkpath(to);
    for (const QFileInfo& fi : QDir(from).entryInfoList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden)) {
        if (fi.isDir()) copy_dir(fi.filePath(), to + "/" + fi.fileName());
        else QFile::copy(fi.filePath(), to + "/" + fi.fileName());
    }
}

void write_lock(const QString& folder, qint64 pid) {
    QFile f(folder + "/lock");
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    f.write(QByteArray::number(pid));
}

}  // namespace

class TestRecovery : public QObject {
    Q_OBJECT

private slots:
    void crashed_session_is_found_and_restored() {
        QTemporaryDir tmp;
        Document doc(QSize(32, 24));
        doc.setPrompt("unsaved work");
        doc.fillMask();
        RecoveryStore store(tmp.path());
        store.save(doc.state(), "/projects/cat");
        QVERIFY(QFile::exists(store.sessionFolder() + "/project/project.json"));
        QVERIFY(store.pending().empty());  // our own session is alive

        // A session whose process is gone: a copy of ours with a dead PID in the lock.
        const QString crashed = tmp.filePath("session-crashed");
        copy_dir(store.sessionFolder(), crashed);
        const qint64 pid = dead_pid();
        QVERIFY(!RecoveryStore::process_running(pid));
        write_lock(crashed, pid);
        // A session of another live process (our parent): not offered.
        const QString live = tmp.filePath("session-live");
        copy_dir(store.sessionFolder(), live);
        write_lock(live, ::getppid());
        QVERIFY(RecoveryStore::process_running(::getppid()));

        RecoveryStore next_start(tmp.path());
        const auto pending = next_start.pending();
        QCOMPARE(int(pending.size()), 1);
        QCOMPARE(pending[0].folder, crashed);
        QCOMPARE(pending[0].pid, pid);
        QCOMPARE(pending[0].project_path, QString("/projects/cat"));
        QVERIFY(pending[0].saved.isValid());
        const DocumentState back = next_start.restore(pending[0]);
        QCOMPARE(back.prompt, QString("unsaved work"));
        QCOMPARE(back.mask, doc.mask());
        next_start.discard(pending[0]);
        QVERIFY(!QFile::exists(crashed));
        QVERIFY(next_start.pending().empty());

        // A clean exit removes the session folder.
        store.clear();
        QVERIFY(!QFile::exists(store.sessionFolder()));
    }

    void missing_lock_counts_as_crashed() {
        QTemporaryDir tmp;
        RecoveryStore store(tmp.path());
        Document doc(QSize(16, 16));
        store.save(doc.state(), "");
        const QString orphan = tmp.filePath("session-orphan");
        copy_dir(store.sessionFolder(), orphan);
        QFile::remove(orphan + "/lock");
        const auto pending = RecoveryStore(tmp.path()).pending();
        QCOMPARE(int(pending.size()), 1);
        QCOMPARE(pending[0].pid, qint64(0));
    }

    void autosaver_saves_only_when_dirty() {
        QTemporaryDir tmp;
        RecoveryStore store(tmp.path());
        Document doc(QSize(16, 16));
        Autosaver saver(&doc, &store, 3600);
        QSignalSpy saved(&saver, &Autosaver::autosaved);
        QVERIFY(!saver.saveIfDirty());  // nothing edited yet
        doc.setPrompt("a");
        QVERIFY(saver.saveIfDirty());
        QVERIFY(!saver.saveIfDirty());  // no edits since
        doc.undoStack()->undo();        // undo is an edit too
        QVERIFY(saver.saveIfDirty());
        QCOMPARE(saved.size(), 2);

        // On the timer.
        saver.setInterval(1);
        doc.setPrompt("timed");
        QVERIFY(saved.wait(5000));
        QCOMPARE(RecoveryStore(tmp.path()).restore({store.sessionFolder(), {}, {}, 0}).prompt, QString("timed"));
    }

    void default_folder_is_app_data() {
        QCoreApplication::setApplicationName("dit-studio-test");
        RecoveryStore store;
        QVERIFY2(store.dir().endsWith("/dit-studio-test/recovery"), qPrintable(store.dir()));
    }
};

QTEST_GUILESS_MAIN(TestRecovery)
#include "test_recovery.moc"
