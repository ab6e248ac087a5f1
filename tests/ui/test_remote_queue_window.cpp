// The studio window on the "Remote queue" backend, driven as a user would: the backend picked in
// the settings, Generate pressed, the result applied to the canvas, the status bar naming the
// farm's worker while it runs; two requests at once running on the two workers side by side;
// then Cancel on two long jobs. Redis and two `dit-cli worker`
// processes are the test's own.
#include <QLabel>
#include <QPlainTextEdit>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QtTest>

#include "studio/generation_worker.h"
#include "studio/remote/remote_settings.h"
#include "tests/common/queue_farm.h"
#include "tests/common/test_window.h"
#include "ui/canvas_view.h"
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
        QSignalSpy previews(w->canvas(), &dit::ui::CanvasView::previewShown);
        w->generate();
        QTRY_COMPARE_WITH_TIMEOUT(applied.size(), 1, 60000);
        QVERIFY2(messages.filter(QRegularExpression("Generating #\\d+ on worker gpu-[ab]")).size() > 0,
                 qPrintable(messages.join(" | ")));
        QCOMPARE(int(w->document()->results().size()), 1);

        // Two requests at once: the window's two lanes put both on the farm, and the two workers
        // run them side by side (each worker takes one job at a time, so the busy one cannot
        // take the second). Previews reach the canvas.
        s = w->document()->settings();
        s.steps = 40;
        w->document()->setSettings(s, QStringLiteral("steps"));
        // Where each job ran, as the lanes (the window's worker children) report it; the status
        // bar shows the latest of these, too fast to sample.
        QStringList where;
        for (auto* lane : w->findChildren<dit::studio::GenerationWorker*>())
            connect(lane, &dit::studio::GenerationWorker::runningOn, this,
                    [&](quint64 id, const QString& on) { where << QStringLiteral("#%1 %2").arg(id).arg(on); });
        w->generate();
        w->generate();
        QTRY_COMPARE_WITH_TIMEOUT(applied.size(), 3, 120000);
        const QString log = where.join(" | ");
        QVERIFY2(log.contains("worker gpu-a") && log.contains("worker gpu-b"), qPrintable(log));
        QVERIFY2(!previews.isEmpty(), qPrintable(log));
        QCOMPARE(int(w->document()->results().size()), 3);

        // Two long jobs, both running on the farm, cancelled as a user would (Esc): both end
        // cancelled, the window idle again, no result added.
        s.steps = 500;
        w->document()->setSettings(s, QStringLiteral("steps"));
        QSignalSpy ended(w.get(), &MainWindow::generationEnded);
        where.clear();
        w->generate();
        w->generate();
        QTRY_VERIFY_WITH_TIMEOUT(where.join(" | ").contains("worker gpu-a") && where.join(" | ").contains("worker gpu-b"), 60000);
        w->cancelGeneration();
        QTRY_COMPARE_WITH_TIMEOUT(ended.size(), 2, 30000);
        QVERIFY(!w->isGenerating());
        QCOMPARE(int(w->document()->results().size()), 3);
        w.reset();
        QCOMPARE(a.terminate(), 0);
        QCOMPARE(b.terminate(), 0);
        QFile::remove(dit::studio::remote_password_path());
    }
};

QTEST_MAIN(TestRemoteQueueWindow)
#include "test_remote_queue_window.moc"
