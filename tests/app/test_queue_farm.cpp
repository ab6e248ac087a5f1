// The Redis queue end to end, on this machine's loopback: a redis-server of the test's own (ACL
// users, no default user), `dit-cli worker` processes on the tiny fixture model, and jobs
// submitted through QueueClient and `dit-cli generate --queue`. Every job must end exactly once;
// every finished image must be the local run's PNG byte for byte; workers killed mid-job and a
// Redis killed mid-run must lose nothing.
#include <QElapsedTimer>
#include <QtTest>
#include <random>
#include <set>
#include <thread>

#include "engine/error.h"
#include "studio/remote/queue_keys.h"
#include "tests/common/queue_farm.h"

using namespace dit::testing;
using dit::remote::JobEvent;
using dit::remote::QueueClient;

namespace {

// The millisecond part of a stream id ("1700000000000-0"): when Redis appended the entry.
long long entry_ms(const std::string& id) { return std::stoll(id.substr(0, id.find('-'))); }

std::vector<std::string> keys_matching(dit::remote::RedisConnection& admin, const std::string& pattern) {
    std::vector<std::string> out;
    std::string cursor = "0";
    do {
        const auto r = admin.command({"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"});
        cursor = r.elements.at(0).str;
        for (const auto& k : r.elements.at(1).elements) out.push_back(k.str);
    } while (cursor != "0");
    return out;
}

}  // namespace

class TestQueueFarm : public QObject {
    Q_OBJECT

    QTemporaryDir tmp_;
    std::map<quint64, QByteArray> reference_;  // seed -> local PNG (64 px, 4 steps)

    QByteArray reference(const TinyJob& job) {
        const quint64 key = job.seed * 1000003 + quint64(job.steps) * 1009 + quint64(job.size) + qHash(job.extra.join(' ')) * 7;
        if (!reference_.count(key)) reference_[key] = local_png(job, tmp_.path());
        return reference_[key];
    }

private slots:
    void initTestCase() {
        QVERIFY(tmp_.isValid());
        QVERIFY2(QFile::exists(kCli), qPrintable(kCli + " is not built"));
    }

    // 3 workers, 30 jobs: a third cancelled (some while queued, some while running), some
    // superseded as live mode does (cancel the previous, submit the next).
    void three_workers_thirty_jobs_with_cancels() {
        RedisServer redis;
        QVERIFY(redis.start());
        std::vector<std::unique_ptr<WorkerProcess>> workers;
        for (int i = 0; i < 3; ++i) workers.push_back(std::make_unique<WorkerProcess>(redis.url(), QString("w%1").arg(i)));
        for (auto& w : workers) QVERIFY2(w->waitReady(), qPrintable(w->output()));
        QueueClient client(dit::remote::parse_redis_url(redis.url().toStdString()));
        std::map<std::string, JobTrace> traces;
        std::map<std::string, TinyJob> jobs;
        std::map<std::string, long long> cancelled_at;  // job -> server time (ms) of a running cancel
        std::vector<std::string> order;
        dit::remote::RedisConnection admin(redis.admin_url());  // TIME is not the queue user's to run
        auto server_ms = [&] {
            const auto t = admin.command({"TIME"});
            return std::stoll(t.elements.at(0).str) * 1000 + std::stoll(t.elements.at(1).str) / 1000;
        };
        for (int i = 0; i < 30; ++i) {
            TinyJob job;
            job.seed = quint64(i % 6);
            job.steps = 6;
            if (i % 10 == 3) job.size = 256, job.steps = 40;  // long enough to be cancelled while it runs
            const std::string id = client.submit(job.request(), "tiny-pixart-alpha", 0, 600);
            jobs[id] = job, traces[id], order.push_back(id);
            if (i % 10 == 1) client.cancel(id, 600);  // still queued, almost surely
            if (i % 10 == 7 && order.size() >= 2) client.cancel(order[order.size() - 2], 600);  // live supersede
        }
        // Cancel jobs 3, 13, 23 once they run.
        const bool all_ended = follow(client, traces, 240000, [&] {
            for (int i : {3, 13, 23}) {
                const std::string& id = order[size_t(i)];
                const JobTrace& t = traces[id];
                if (!cancelled_at.count(id) && !t.ended() && t.last_step >= 1) {
                    client.cancel(id, 600);
                    cancelled_at[id] = server_ms();  // read after the cancel: no earlier step is blamed on it
                }
            }
        });
        QVERIFY2(all_ended, "not every job ended within 4 minutes");
        int finished = 0, cancelled = 0;
        for (const auto& id : order) {
            const JobTrace& t = traces[id];
            QVERIFY2(t.ends == 1, qPrintable(QString("job %1 ended %2 times").arg(id.c_str()).arg(t.ends)));
            QVERIFY2(t.steps_in_order, "previews or progress out of step order");
            const auto ending = client.ending(id);
            QVERIFY(ending && ending->outcome == t.outcome);
            if (t.outcome == "finished") {
                ++finished;
                QVERIFY2(QByteArray::fromStdString(client.result_png(id)) == reference(jobs[id]),
                         "a finished image differs from the local run's PNG");
                bool had_preview = false;
                for (const auto& e : t.events) had_preview = had_preview || e.type == JobEvent::Preview;
                QVERIFY2(had_preview, "a finished job sent no preview");
            } else {
                QCOMPARE(t.outcome, std::string("cancelled"));
                ++cancelled;
            }
        }
        // A running job's cancel reached its worker within one step: at most one progress event
        // was appended after the cancel.
        for (const auto& [id, ms] : cancelled_at) {
            int after = 0;
            const auto r = client.connection().command({"XRANGE", dit::remote::keys::events(id), "-", "+"});
            for (const auto& entry : r.elements) {
                const auto& kv = entry.elements.at(1).elements;
                if (kv.size() >= 2 && kv[1].str == "progress" && entry_ms(entry.elements.at(0).str) > ms) ++after;
            }
            QVERIFY2(after <= 1, qPrintable(QString("%1 steps ran after the cancel").arg(after)));
        }
        QCOMPARE(int(cancelled_at.size()), 3);
        for (const auto& [id, ms] : cancelled_at) QCOMPARE(traces[id].outcome, std::string("cancelled"));
        QVERIFY2(cancelled >= 9, qPrintable(QString("only %1 jobs cancelled").arg(cancelled)));
        QVERIFY2(finished >= 15, qPrintable(QString("only %1 jobs finished").arg(finished)));
        for (auto& w : workers) QVERIFY2(w->terminate() == 0, qPrintable(w->output()));
        qInfo("30 jobs: %d finished, %d cancelled", finished, cancelled);
    }

    // `dit-cli generate --queue` writes the local run's PNG, byte for byte.
    void generate_on_queue_writes_the_local_png() {
        RedisServer redis;
        QVERIFY(redis.start());
        WorkerProcess worker(redis.url(), "solo");
        QVERIFY2(worker.waitReady(), qPrintable(worker.output()));
        TinyJob job;
        job.seed = 42;
        const QString out = tmp_.filePath("queued.png");
        const CliRun r = run_cli(QStringList{"generate", "--queue", redis.url(), "--model", "tiny-pixart-alpha",
                                             "--output", out} + job.flags());
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QFile f(out);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QVERIFY2(f.readAll() == reference(job), "the queued PNG differs from the local one");
        // Pictures travel as blobs: img2img, inpainting and a regional prompt match too, and a
        // picture sent twice is uploaded once.
        QImage mask(64, 64, QImage::Format_Grayscale8);
        mask.fill(0);
        for (int y = 16; y < 48; ++y)
            for (int x = 8; x < 40; ++x) mask.setPixel(x, y, qRgb(255, 255, 255));
        const QString mask_png = tmp_.filePath("mask.png");
        QVERIFY(mask.save(mask_png));
        const QString init = QStringLiteral(DIT_FIXTURES "/pipeline/init.png");
        for (const QStringList& extra : {QStringList{"--init", init, "--strength", "0.6"},
                                         QStringList{"--init", init, "--mask", mask_png, "--inpaint-mode", "crop"},
                                         QStringList{"--region", "a green star:" + mask_png},
                                         QStringList{"--init", init, "--mask", mask_png}}) {
            TinyJob pictured = job;
            pictured.extra = extra;
            const CliRun p = run_cli(QStringList{"generate", "--queue", redis.url(), "--model", "tiny-pixart-alpha",
                                                 "--output", out} + pictured.flags());
            QVERIFY2(p.code == 0, qPrintable(p.err));
            QFile g(out);
            QVERIFY(g.open(QIODevice::ReadOnly));
            QVERIFY2(g.readAll() == reference(pictured), qPrintable("differs from the local run: " + extra.join(' ')));
        }
        dit::remote::RedisConnection admin(redis.admin_url());
        // Six pictures sent: the init image three times, the mask three times (once as a region's).
        const size_t blobs = keys_matching(admin, "dit:blob:*").size();
        QVERIFY2(blobs >= 2 && blobs <= 3, qPrintable(QString("%1 pictures stored").arg(blobs)));
        // A model no worker serves: a clear failure after the stated wait, not a hang.
        const CliRun unserved = run_cli(QStringList{"generate", "--queue", redis.url(), "--model", "no-such-model",
                                                    "--model-wait", "2", "--output", tmp_.filePath("x.png")} + job.flags());
        QCOMPARE(unserved.code, 1);
        QVERIFY2(unserved.err.contains("no live worker serves model 'no-such-model'"), qPrintable(unserved.err));
        QVERIFY(!QFile::exists(tmp_.filePath("x.png")));
    }

    // SIGKILL workers mid-job at random steps: their jobs are reclaimed and finish exactly once,
    // and once the jobs' TTLs pass no per-job key is left.
    void killed_workers_lose_nothing() {
        RedisServer redis;
        QVERIFY(redis.start());
        std::vector<std::unique_ptr<WorkerProcess>> workers;
        int next_name = 0;
        for (int i = 0; i < 2; ++i) workers.push_back(std::make_unique<WorkerProcess>(redis.url(), QString("k%1").arg(next_name++)));
        for (auto& w : workers) QVERIFY2(w->waitReady(), qPrintable(w->output()));
        QueueClient client(dit::remote::parse_redis_url(redis.url().toStdString()));
        std::map<std::string, JobTrace> traces;
        std::map<std::string, TinyJob> jobs;
        const int ttl = 8;
        for (int i = 0; i < 6; ++i) {
            TinyJob job;
            job.seed = quint64(100 + i);
            job.size = 256;  // about 1 s a job here: long enough to be killed in the middle
            job.steps = 40;
            const std::string id = client.submit(job.request(), "tiny-pixart-alpha", 200, ttl);
            jobs[id] = job, traces[id];
        }
        std::mt19937 rng(20);
        int kills = 0;
        int kill_at = 2 + int(rng() % 30);
        std::set<std::string> killed;  // jobs whose worker was killed
        std::map<std::string, QByteArray> results;  // taken as each job ends: the TTL is short
        auto take_results = [&] {
            for (const auto& [id, t] : traces)
                if (t.outcome == "finished" && !results.count(id))
                    results[id] = QByteArray::fromStdString(client.result_png(id));
        };
        const bool all_ended = follow(client, traces, 300000, [&] {
            take_results();
            if (kills >= 3) return;
            for (const auto& [id, t] : traces) {
                // A job killed 3 times would fail as a job that kills its workers: one kill each.
                if (t.ended() || t.last_step < kill_at || killed.count(id)) continue;
                std::string holder;
                for (const auto& e : t.events) if (e.type == JobEvent::Started) holder = e.worker;
                for (auto& w : workers)
                    if (w->running() && w->name().toStdString() == holder) {
                        w->kill();
                        ++kills;
                        killed.insert(id);
                        kill_at = 2 + int(rng() % 30);
                        workers.push_back(std::make_unique<WorkerProcess>(redis.url(), QString("k%1").arg(next_name++)));
                        return;
                    }
            }
        });
        QVERIFY2(all_ended, "not every job ended after the kills");
        take_results();
        QVERIFY2(kills == 3, qPrintable(QString("only %1 workers were killed mid-job").arg(kills)));
        for (const auto& [id, t] : traces) {
            QVERIFY2(t.ends == 1, "a job ended more than once");
            QCOMPARE(t.outcome, std::string("finished"));
            QVERIFY(results[id] == reference(jobs[id]));
        }
        for (auto& w : workers) w->terminate();
        QThread::msleep((ttl + 2) * 1000);
        dit::remote::RedisConnection admin(redis.admin_url());
        const auto left = keys_matching(admin, "dit:*");
        for (const auto& k : left)
            QVERIFY2(k == dit::remote::keys::jobs("tiny-pixart-alpha"), qPrintable(QString("key left behind: ") + k.c_str()));
        QCOMPARE(admin.command({"XLEN", dit::remote::keys::jobs("tiny-pixart-alpha")}).integer, 0LL);
    }

    // SIGTERM mid-job: the worker hands the job back and exits 0; another worker finishes it.
    void sigterm_hands_the_job_back() {
        RedisServer redis;
        QVERIFY(redis.start());
        auto first = std::make_unique<WorkerProcess>(redis.url(), "leaving");
        QVERIFY2(first->waitReady(), qPrintable(first->output()));
        QueueClient client(dit::remote::parse_redis_url(redis.url().toStdString()));
        TinyJob job;
        job.seed = 300;
        job.size = 256;
        job.steps = 40;
        const std::string id = client.submit(job.request(), "tiny-pixart-alpha", 200, 600);
        std::map<std::string, JobTrace> traces{{id, {}}};
        std::unique_ptr<WorkerProcess> second;
        const bool ended = follow(client, traces, 120000, [&] {
            if (!second && traces[id].last_step >= 3) {
                QCOMPARE(first->terminate(), 0);
                second = std::make_unique<WorkerProcess>(redis.url(), "staying");
            }
        });
        QVERIFY2(second, "the job finished before the worker could be stopped in the middle");
        QVERIFY2(ended, qPrintable(second->output()));
        const JobTrace& t = traces[id];
        QVERIFY(first->output().contains("handed back job " + QString::fromStdString(id)));
        bool requeued = false;
        for (const auto& e : t.events) requeued = requeued || (e.type == JobEvent::Requeued && e.worker == "leaving");
        QVERIFY2(requeued, "no requeued event from the stopped worker");
        QCOMPARE(t.ends, 1);
        QCOMPARE(t.outcome, std::string("finished"));
        QCOMPARE(t.reason, std::string("staying"));
        QVERIFY(QByteArray::fromStdString(client.result_png(id)) == reference(job));
        QCOMPARE(second->terminate(), 0);
    }

    // Redis itself killed mid-run (append-only, fsync always) and restarted: the queued and the
    // running jobs survive and finish exactly once.
    void redis_restart_loses_nothing_with_appendonly() {
        RedisServer redis;
        QVERIFY(redis.start(true));
        WorkerProcess a(redis.url(), "r0"), b(redis.url(), "r1");
        QVERIFY2(a.waitReady() && b.waitReady(), qPrintable(a.output() + b.output()));
        QueueClient client(dit::remote::parse_redis_url(redis.url().toStdString()));
        std::map<std::string, JobTrace> traces;
        std::map<std::string, TinyJob> jobs;
        for (int i = 0; i < 6; ++i) {
            TinyJob job;
            job.seed = quint64(200 + i);
            job.size = 256;
            job.steps = 16;
            const std::string id = client.submit(job.request(), "tiny-pixart-alpha", 200, 600);
            jobs[id] = job, traces[id];
        }
        bool restarted = false, back = false;
        const bool all_ended = follow(client, traces, 300000, [&] {
            if (restarted) return;
            for (const auto& [id, t] : traces)
                if (t.last_step >= 4 && !t.ended()) {
                    restarted = true;
                    redis.kill();
                    QThread::msleep(500);
                    back = redis.restart();
                    return;
                }
        });
        QVERIFY2(restarted && back, "Redis was not killed and restarted mid-run");
        QVERIFY2(all_ended, qPrintable("not every job ended after the restart:\n" + a.output() + b.output()));
        for (const auto& [id, t] : traces) {
            QVERIFY2(t.ends == 1, "a job ended more than once");
            QCOMPARE(t.outcome, std::string("finished"));
            QVERIFY(QByteArray::fromStdString(client.result_png(id)) == reference(jobs[id]));
        }
        QVERIFY2(a.terminate() == 0, qPrintable(a.output()));
        QVERIFY2(b.terminate() == 0, qPrintable(b.output()));
    }

    // Redis killed and restarted WITHOUT persistence: it comes back empty. A job that was only
    // queued is gone; the client waiting on it must say so, not wait forever. The farm itself
    // goes on: a job submitted afterwards finishes.
    void redis_restart_without_persistence_fails_the_lost_job_clearly() {
        RedisServer redis;
        QVERIFY(redis.start(false));
        WorkerProcess a(redis.url(), "np0");
        QVERIFY2(a.waitReady(), qPrintable(a.output()));
        const auto url = dit::remote::parse_redis_url(redis.url().toStdString());
        QueueClient client(url);
        TinyJob running;  // keeps the one worker busy, so the next job waits in the stream
        running.seed = 300;
        running.size = 256;
        running.steps = 400;
        const std::string busy = client.submit(running.request(), "tiny-pixart-alpha", 200, 600);
        std::map<std::string, JobTrace> traces{{busy, {}}};
        QTRY_VERIFY_WITH_TIMEOUT((follow(client, traces, 50), traces[busy].last_step >= 1), 60000);

        TinyJob queued;
        queued.seed = 301;
        std::string failure;
        std::thread waiter([&] {
            QueueClient own(url);
            dit::remote::RemoteRunOptions o;
            o.lost_after_s = 3;
            try {
                dit::remote::run_remote_job(own, queued.request(), "tiny-pixart-alpha", o);
                failure = "(finished)";
            } catch (const std::exception& e) {
                failure = e.what();
            }
        });
        // Submitted and waiting behind the busy job (its entry is not deleted until acknowledged):
        // on a loaded machine the waiter's thread may take a while to get there.
        dit::remote::RedisConnection admin(redis.admin_url());
        QTRY_VERIFY_WITH_TIMEOUT(admin.command({"XLEN", dit::remote::keys::jobs("tiny-pixart-alpha")}).integer >= 2, 20000);
        QThread::msleep(300);  // its first wait round has begun
        redis.kill();
        QThread::msleep(500);
        QVERIFY(redis.restart());
        QElapsedTimer t;
        t.start();
        waiter.join();
        QVERIFY2(failure.find("lost job") != std::string::npos && failure.find("submit it again") != std::string::npos,
                 failure.c_str());
        QVERIFY2(t.elapsed() < 30000, "the lost job was not noticed within the client's limits");

        // The worker recreates its group on the empty server; cancel what it still runs, then a
        // new job finishes.
        QueueClient after(url);
        after.cancel(busy, 600);
        TinyJob next;
        next.seed = 302;
        const std::string id = after.submit(next.request(), "tiny-pixart-alpha", 200, 600);
        std::map<std::string, JobTrace> more{{id, {}}};
        QVERIFY2(follow(after, more, 120000), qPrintable(a.output()));
        QCOMPARE(more[id].outcome, std::string("finished"));
        QVERIFY(QByteArray::fromStdString(after.result_png(id)) == reference(next));
        QVERIFY2(a.terminate() == 0, qPrintable(a.output()));
    }
};

QTEST_GUILESS_MAIN(TestQueueFarm)
#include "test_queue_farm.moc"
