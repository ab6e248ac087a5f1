// The studio's "Remote queue" backend: a RemoteGenerationWorker against a Redis of the test's own
// and two `dit-cli worker` processes. Its signals must be the local GenerationWorker's (started,
// previews and progress in step order, one ending per request), the image the local run's, the
// running worker named; cancel and live supersede must reach the farm. The settings keep the
// password in a file only the user can read.
#include <QFile>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QtTest>

#include "engine/error.h"
#include "studio/remote/remote_generation_worker.h"
#include "studio/remote/remote_settings.h"
#include "studio/result_png.h"
#include "tests/common/queue_farm.h"

using namespace dit::testing;
using dit::studio::GenerationRequest;
using dit::studio::GenerationResult;
using dit::studio::RemoteGenerationWorker;

class TestRemoteGenerationWorker : public QObject {
    Q_OBJECT

    QTemporaryDir tmp_;

    static GenerationRequest request(const TinyJob& job) {
        GenerationRequest g;
        g.request = job.request();
        g.request.model_dir = kTinyModel.toStdString();  // the studio's folder; the farm serves it by name
        g.request.backend = dit::studio::kRemoteBackend;
        return g;
    }

private slots:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY(tmp_.isValid());
        QVERIFY2(QFile::exists(kCli), qPrintable(kCli + " is not built"));
    }

    void settings_keep_the_password_private() {
        dit::studio::RemoteQueueSettings s{QStringLiteral("redis://dit@127.0.0.1:6390"), QStringLiteral("s3cret"), 30};
        dit::studio::save_remote_settings(s);
        QFile f(dit::studio::remote_password_path());
        QCOMPARE(f.permissions() & (QFile::ReadGroup | QFile::ReadOther | QFile::WriteGroup | QFile::WriteOther),
                 QFile::Permissions());
        const auto back = dit::studio::load_remote_settings();
        QCOMPARE(back.url, s.url);
        QCOMPARE(back.password, s.password);
        QCOMPARE(back.model_wait_s, 30);
        QCOMPARE(back.jobs_in_flight, 2);  // the default: two lanes
        s.jobs_in_flight = 3;
        dit::studio::save_remote_settings(s);
        QCOMPARE(dit::studio::load_remote_settings().jobs_in_flight, 3);
        // Out of range: refused before anything is written.
        s.jobs_in_flight = 0;
        QVERIFY_THROWS_EXCEPTION(dit::Error, dit::studio::save_remote_settings(s));
        s.jobs_in_flight = dit::studio::kMaxJobsInFlight + 1;
        QVERIFY_THROWS_EXCEPTION(dit::Error, dit::studio::save_remote_settings(s));
        QCOMPARE(dit::studio::load_remote_settings().jobs_in_flight, 3);
        s.jobs_in_flight = 2;
        // A password in the URL would land in the settings file: refused.
        s.url = QStringLiteral("redis://dit:s3cret@127.0.0.1:6390");
        QVERIFY_THROWS_EXCEPTION(dit::Error, dit::studio::save_remote_settings(s));
        // A password file others can read is ignored.
        f.setPermissions(f.permissions() | QFile::ReadOther);
        QVERIFY(dit::studio::load_remote_settings().password.isEmpty());
        QFile::remove(dit::studio::remote_password_path());
    }

    void generates_cancels_and_supersedes_through_two_workers() {
        RedisServer redis;
        QVERIFY(redis.start());
        WorkerProcess a(redis.url(), "gpu-a"), b(redis.url(), "gpu-b");
        QVERIFY2(a.waitReady() && b.waitReady(), qPrintable(a.output() + b.output()));
        dit::studio::RemoteQueueSettings settings{QStringLiteral("redis://dit@127.0.0.1:%1").arg(redis.port()),
                                                  RedisServer::kPassword, 10};
        RemoteGenerationWorker worker(settings);
        worker.setPreviewInterval(0);
        QSignalSpy started(&worker, &RemoteGenerationWorker::started);
        QSignalSpy where(&worker, &RemoteGenerationWorker::runningOn);
        QSignalSpy progress(&worker, &RemoteGenerationWorker::progress);
        QSignalSpy previews(&worker, &RemoteGenerationWorker::preview);
        QSignalSpy finished(&worker, &RemoteGenerationWorker::finished);
        QSignalSpy failed(&worker, &RemoteGenerationWorker::failed);
        QSignalSpy cancelled(&worker, &RemoteGenerationWorker::cancelled);
        connect(&worker, &RemoteGenerationWorker::preview, &worker, [&] { worker.previewConsumed(); });

        // Plain: the local run's image, the worker named, steps in order.
        TinyJob job;
        job.seed = 11;
        job.steps = 6;
        const quint64 first = worker.submit(request(job));
        QTRY_COMPARE_WITH_TIMEOUT(finished.size() + failed.size(), 1, 60000);
        QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.first().at(1).toString()));
        const auto result = finished.first().first().value<GenerationResult>();
        QCOMPARE(result.id, first);
        const QImage local = QImage::fromData(local_png(job, tmp_.path()), "PNG").convertToFormat(QImage::Format_RGB888);
        QVERIFY2(result.image == local, "the remote image differs from the local run's");
        QVERIFY(!where.isEmpty() && where.last().at(1).toString().startsWith("worker gpu-"));
        int last = 0;
        for (const auto& p : progress) {
            QVERIFY(p.at(1).toInt() > last);
            last = p.at(1).toInt();
        }
        QCOMPARE(last, 6);
        QVERIFY(!previews.isEmpty());

        // Cancel while running: a long job stops early and says cancelled, nothing else.
        TinyJob slow;
        slow.size = 256;
        slow.steps = 200;
        const quint64 second = worker.submit(request(slow));
        QTRY_VERIFY_WITH_TIMEOUT(worker.currentStep() >= 2, 60000);
        worker.cancel(second);
        QTRY_COMPARE_WITH_TIMEOUT(cancelled.size(), 1, 30000);
        QCOMPARE(cancelled.first().first().toULongLong(), second);
        QCOMPARE(finished.size(), 1);

        // Live mode: each submitLive supersedes the running one; only the last finishes.
        for (int i = 0; i < 3; ++i) {
            TinyJob live = slow;
            live.seed = quint64(20 + i);
            if (i == 2) live.size = 64, live.steps = 6;
            worker.submitLive(request(live));
            QTest::qWait(300);
        }
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 2, 60000);
        QTRY_COMPARE_WITH_TIMEOUT(cancelled.size(), 3, 30000);
        QCOMPARE(finished.last().first().value<GenerationResult>().request.seed, quint64(22));
        QVERIFY(failed.isEmpty());
        worker.stop();
        QCOMPARE(a.terminate(), 0);
        QCOMPARE(b.terminate(), 0);
    }

    // No worker serves the model: a failure that says so after the stated wait, not a hang.
    void unserved_model_fails_with_a_reason() {
        RedisServer redis;
        QVERIFY(redis.start());
        RemoteGenerationWorker worker({QStringLiteral("redis://dit@127.0.0.1:%1").arg(redis.port()),
                                       RedisServer::kPassword, 1});
        QSignalSpy failed(&worker, &RemoteGenerationWorker::failed);
        worker.submit(request(TinyJob{}));
        QTRY_COMPARE_WITH_TIMEOUT(failed.size(), 1, 30000);
        QVERIFY2(failed.first().at(1).toString().contains("no live worker serves model 'tiny-pixart-alpha'"),
                 qPrintable(failed.first().at(1).toString()));
    }
};

QTEST_GUILESS_MAIN(TestRemoteGenerationWorker)
#include "test_remote_generation_worker.moc"
