// A short soak of the GenerationWorker on the embedded default model: twenty requests in the mix
// bench_soak_worker runs two hundred of (plain runs, cancels of running and queued requests, live
// supersedes; bench/worker_soak.h). Every request must end, finished or cancelled as asked, with
// its signals in the contract's order, no round may outlast the watchdog, and the worker must be
// idle and usable afterwards.
#include <QElapsedTimer>
#include <QSignalSpy>
#include <QtTest>

#include "bench/worker_soak.h"
#include "studio/install_paths.h"

using namespace dit::bench;
using dit::studio::GenerationWorker;

class TestSoak : public QObject {
    Q_OBJECT

private slots:
    void twenty_requests_with_cancels_and_supersedes_all_end() {
        SoakOptions o;
        o.model_dir = dit::studio::default_model_dir();
        QVERIFY2(!o.model_dir.empty(), "the embedded default model is not found");
        o.count = 20;
        o.size = 32;  // 4 latent tokens: the worker's paths, not the image, are under test
        o.steps = 4;
        o.seed = 1;
        o.warmup = 0;
        o.watchdog_s = 60;

        GenerationWorker worker;
        WorkerSoak soak(worker, o);
        const SoakReport r = soak.run();
        for (const QString& v : r.violations) qWarning("%s", qPrintable(v));
        QVERIFY2(r.ok(), qPrintable(r.violations.join("; ")));
        QVERIFY(!r.deadlock);
        qInfo("%d requests in %.1f s: finished %d, cancelled %d (%d before they started); "
              "%d cancel calls, %d supersedes",
              r.requests, r.seconds, r.finished, r.cancelled, r.dropped, r.cancel_calls, r.supersedes);

        QCOMPARE(r.requests, 20);
        QCOMPARE(r.finished + r.cancelled, r.requests);  // every request ended
        QCOMPARE(r.failed, 0);
        // Seed 1 draws every kind of round, so each path was taken.
        for (Round k : {Round::Plain, Round::CancelRunning, Round::CancelQueued, Round::Supersede, Round::LiveBurst})
            QVERIFY2(r.rounds.count(k) && r.rounds.at(k) > 0, round_name(k));
        QVERIFY(r.cancel_calls > 0 && r.supersedes > 0 && r.dropped > 0);

        // Idle, and it still works.
        QCOMPARE(worker.currentId(), quint64(0));
        QCOMPARE(worker.queuedCount(), 0);
        QCOMPARE(worker.currentStep(), 0);
        QSignalSpy finished(&worker, &GenerationWorker::finished);
        dit::studio::GenerationRequest g;
        g.request.model_dir = o.model_dir;
        g.request.prompt = "a red circle at the top left";
        g.request.width = g.request.height = 32;
        g.request.steps = 4;
        const quint64 id = worker.submit(g);
        QVERIFY(id > quint64(r.requests));  // ids keep counting up
        QVERIFY(finished.wait(60000));
        QCOMPARE(finished[0][0].value<dit::studio::GenerationResult>().id, id);
        QCOMPARE(finished[0][0].value<dit::studio::GenerationResult>().image.size(), QSize(32, 32));

        QElapsedTimer t;
        t.start();
        worker.stop();
        QVERIFY(t.elapsed() < 2000);
    }
};

QTEST_GUILESS_MAIN(TestSoak)
#include "test_soak.moc"
