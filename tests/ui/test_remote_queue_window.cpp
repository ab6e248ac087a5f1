// The studio window on the "Remote queue" backend, driven as a user would: the backend picked in
// the settings, Generate pressed, the result applied to the canvas, the status bar naming the
// farm's worker while it runs; then Cancel on a long job. Redis and two `dit-cli worker`
// processes are the test's own.
#include <QLabel>
#include <QPlainTextEdit>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QtTest>

#include "studio/remote/remote_settings.h"
#include "tests/common/queue_farm.h"
#include "tests/common/test_window.h"
#include "ui/main_window.h"
#include "ui/prompt_panel.h"

using dit::ui::MainWindow;
using namespace dit::testing;

class TestRemoteQueueWindow : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY2(QFile::exists(kCli), qPrintable(kCli + " is not built"));
    }

    void generatesOnTheFarmAndCancels() {
        RedisServer redis;
        QVERIFY(redis.start());
        WorkerProcess a(redis.url(), "gpu-a"), b(redis.url(), "gpu-b");
        QVERIFY2(a.waitReady() && b.waitReady(), qPrintable(a.output() + b.output()));
        dit::studio::save_remote_settings({QStringLiteral("redis://dit@127.0.0.1:%1").arg(redis.port()),
                                           RedisServer::kPassword, 10});

        auto w = make_test_window();
        w->promptPanel()->promptEdit()->setPlainText(QStringLiteral("a red ball on a blue floor"));
        dit::studio::GenerationSettings s = w->document()->settings();
        s.backend = QStringLiteral("remote");
        s.steps = 4;
        w->document()->setSettings(s, QStringLiteral("backend"));
        QStringList messages;
        QTimer watch;
        connect(&watch, &QTimer::timeout, [&] {
            const QString t = w->statusLabel()->text();
            if (messages.isEmpty() || messages.last() != t) messages << t;
        });
        watch.start(5);
        QSignalSpy applied(w.get(), &MainWindow::resultApplied);
        w->generate();
        QTRY_COMPARE_WITH_TIMEOUT(applied.size(), 1, 60000);
        QVERIFY2(messages.filter(QRegularExpression("Generating #\\d+ on worker gpu-[ab]")).size() > 0,
                 qPrintable(messages.join(" | ")));
        QCOMPARE(int(w->document()->results().size()), 1);

        // A long job, cancelled as a user would (Esc): it ends cancelled, the window idle again.
        s = w->document()->settings();
        s.steps = 500;
        w->document()->setSettings(s, QStringLiteral("steps"));
        QSignalSpy ended(w.get(), &MainWindow::generationEnded);
        w->generate();
        QTRY_VERIFY_WITH_TIMEOUT(w->statusLabel()->text().contains("on worker gpu-"), 60000);
        w->cancelGeneration();
        QTRY_COMPARE_WITH_TIMEOUT(ended.size(), 1, 30000);
        QVERIFY(!w->isGenerating());
        QCOMPARE(int(w->document()->results().size()), 1);
        w.reset();
        QCOMPARE(a.terminate(), 0);
        QCOMPARE(b.terminate(), 0);
        QFile::remove(dit::studio::remote_password_path());
    }
};

QTEST_MAIN(TestRemoteQueueWindow)
#include "test_remote_queue_window.moc"
