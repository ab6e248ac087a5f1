// dit-studio killed with SIGKILL loses at most one autosave interval. The real binary runs
// offscreen in a throwaway HOME and XDG folders, edits a document (--prompt, --negative, --demo's
// mask stroke, person and region, then a generated image on the image layer), autosaves every
// second (--autosave-interval 1) and is killed; the killed session is then offered by the
// recovery store, and the next start (--recover) restores it. The restored document must also
// survive a second SIGKILL: it is autosaved by the new session before the old autosave goes.
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>
#include <csignal>
#include <functional>

#include "studio/document/mask_ops.h"
#include "studio/project/project_file.h"
#include "studio/project/recovery.h"
#include "tests/common/document_compare.h"

using namespace dit::studio;

namespace {

const QString kStudio = QStringLiteral(DIT_BINARY_DIR "/app/dit-studio");
constexpr int kIntervalS = 1;
const QString kPrompt = QStringLiteral("a red circle above a stick figure, unsaved");
const QString kNegative = QStringLiteral("blurry");

// Polls (processing events) until `done` holds; false on timeout.
bool wait_for(const std::function<bool()>& done, int timeout_ms) {
    QElapsedTimer t;
    t.start();
    while (!done()) {
        if (t.elapsed() > timeout_ms) return false;
        QTest::qWait(50);
    }
    return true;
}

QJsonObject read_json(const QString& path) {
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? QJsonDocument::fromJson(f.readAll()).object() : QJsonObject();
}

// The session folder a studio process autosaves into: <recovery>/session-<pid>-<ms>.
QString session_of(const QString& recovery, qint64 pid) {
    const QStringList s = QDir(recovery).entryList({QString("session-%1-*").arg(pid)}, QDir::Dirs);
    return s.isEmpty() ? QString() : recovery + "/" + s.front();
}

}  // namespace

class TestStudioRecovery : public QObject {
    Q_OBJECT

    QTemporaryDir home_;
    QProcessEnvironment env_;
    QString recovery_;

    void start(QProcess& p, const QStringList& args) {
        p.setProcessEnvironment(env_);
        p.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        p.start(kStudio, QStringList{"--size", "64x64", "--autosave-interval", QString::number(kIntervalS)} + args);
        QVERIFY2(p.waitForStarted(10000), qPrintable(p.errorString()));
    }

    static void sigkill(QProcess& p) {
        QVERIFY(::kill(pid_t(p.processId()), SIGKILL) == 0);
        QVERIFY(p.waitForFinished(10000));  // reaped, so its PID no longer runs
        QCOMPARE(p.exitStatus(), QProcess::CrashExit);
    }

private slots:
    void initTestCase() {
        QVERIFY2(QFile::exists(kStudio), qPrintable(kStudio + " is not built"));
        QVERIFY(home_.isValid());
        // Nothing of the user's: settings, recent files and autosaves all land under home_.
        const QString h = home_.path();
        for (const char* d : {"data", "config", "cache", "runtime"}) QVERIFY(QDir().mkpath(h + "/" + d));
        QFile::setPermissions(h + "/runtime", QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
        env_ = QProcessEnvironment::systemEnvironment();
        env_.insert("HOME", h);
        env_.insert("XDG_DATA_HOME", h + "/data");
        env_.insert("XDG_CONFIG_HOME", h + "/config");
        env_.insert("XDG_CACHE_HOME", h + "/cache");
        env_.insert("XDG_RUNTIME_DIR", h + "/runtime");
        env_.insert("QT_QPA_PLATFORM", "offscreen");
        // QStandardPaths::AppDataLocation for the organisation and name app/studio/main.cpp sets.
        recovery_ = h + "/data/DiT Studio/dit-studio/recovery";
    }

    void sigkill_loses_at_most_one_autosave_interval() {
        // 1. Edit and wait for the autosave. The edits are made as the window opens, then the
        // generated image lands on the image layer a moment later.
        QProcess first;
        start(first, {"--prompt", kPrompt, "--negative", kNegative, "--demo", "--steps", "4", "--seed", "3",
                      "--generate-on-start"});
        const qint64 pid = first.processId();
        QString session;
        QVERIFY2(wait_for([&] { return !(session = session_of(recovery_, pid)).isEmpty() &&
                                       QFile::exists(session + "/meta.json"); },
                          30000),
                 "no autosave within 30 s");
        // The store's folder is named when the window is built, before the edits: the first
        // autosave follows them within one interval (plus slack for a loaded machine).
        const qint64 began_ms = session.section('-', -1).toLongLong();
        const QDateTime first_save =
            QDateTime::fromString(read_json(session + "/meta.json")["saved"].toString(), Qt::ISODateWithMs);
        const qint64 after_ms = first_save.toMSecsSinceEpoch() - began_ms;
        qInfo("first autosave %lld ms after the session began (interval %d s)", after_ms, kIntervalS);
        QVERIFY(after_ms >= 0 && after_ms <= kIntervalS * 1000 + 5000);
        // The generated image, the last edit, reaches the autosave too.
        QVERIFY2(wait_for([&] { return QFile::exists(session + "/project/image_0.png"); }, 60000),
                 "the generated image was never autosaved");
        QVERIFY(RecoveryStore(recovery_).pending().empty());  // a live session is not offered
        // Every edit is now more than one interval old: a kill must lose none of them.
        QTest::qWait(kIntervalS * 1500);
        sigkill(first);

        // 2. Offered: the killed session, with everything edited.
        QVERIFY(QFile::exists(session + "/lock"));  // no clean exit removed it
        const auto pending = RecoveryStore(recovery_).pending();
        QCOMPARE(int(pending.size()), 1);
        QCOMPARE(pending[0].folder, session);
        QCOMPARE(pending[0].pid, pid);
        QCOMPARE(pending[0].project_path, QString());  // never saved as a project
        const DocumentState crashed = RecoveryStore(recovery_).restore(pending[0]);
        QCOMPARE(crashed.prompt, kPrompt);
        QCOMPARE(crashed.negative_prompt, kNegative);
        QVERIFY(any_painted(crashed.mask));  // the demo stroke
        QCOMPARE(int(crashed.people.size()), 1);
        QCOMPARE(int(crashed.regions.size()), 1);
        QCOMPARE(crashed.regions[0].prompt, QString("a red circle"));
        QCOMPARE(crashed.image.size(), QSize(64, 64));  // the generated result
        QCOMPARE(crashed.settings.steps, 4);
        QCOMPARE(crashed.settings.seed, quint64(3));

        // 3. The next start restores it, autosaves it as its own and only then drops the old one.
        QProcess second;
        start(second, {"--recover"});
        const qint64 pid2 = second.processId();
        QVERIFY2(wait_for([&] { return !QFile::exists(session); }, 30000), "the crashed autosave was not taken up");
        const QString session2 = session_of(recovery_, pid2);
        QVERIFY2(!session2.isEmpty(), "the restored document was not autosaved by the new session");
        QVERIFY(dit::testing::same_state(load_project(session2 + "/project"), crashed));

        // 4. A second crash before any edit still keeps it.
        sigkill(second);
        const auto again = RecoveryStore(recovery_).pending();
        QCOMPARE(int(again.size()), 1);
        QCOMPARE(again[0].pid, pid2);
        QVERIFY(dit::testing::same_state(RecoveryStore(recovery_).restore(again[0]), crashed));
    }
};

QTEST_GUILESS_MAIN(TestStudioRecovery)
#include "test_studio_recovery.moc"
