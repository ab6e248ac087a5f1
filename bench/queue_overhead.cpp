// The remote queue against a local run, same run, same machine: its own redis-server on
// loopback (ACL user, as deployed) and `dit-cli worker` processes, all single-threaded like the
// local Engine here, so the difference is the queue's.
//   per job:     median wall time of a job through the queue (submit -> PNG bytes back) minus the
//                median of the same job run locally (Engine::generate + PNG encoding);
//   per preview: how much a preview every step adds through the queue beyond what it adds
//                locally, per preview;
//   throughput:  --jobs jobs queued at once, finished by 1, 2 and 3 workers.
//
// Usage: bench_queue_overhead [--runs N] [--size PX] [--steps S] [--jobs N] [--heavy-size PX]
//                             [--heavy-steps S] [--model DIR]
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QProcess>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include "bench/bench_machine.h"
#include "engine/pipeline/engine.h"
#include "studio/remote/queue_client.h"
#include "studio/result_png.h"
#include "tests/common/redis_server.h"

namespace {

using dit::remote::QueueClient;

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

double ms_since(const QElapsedTimer& t) { return double(t.nsecsElapsed()) / 1e6; }

std::unique_ptr<QProcess> start_worker(const QString& cli, const QString& url, const QString& name, const QString& model) {
    auto p = std::make_unique<QProcess>();
    p->setProcessChannelMode(QProcess::ForwardedErrorChannel);
    p->start(cli, {"worker", "--queue", url, "--name", name, "--models", model, "--quiet"});
    p->waitForStarted();
    return p;
}

void stop(std::vector<std::unique_ptr<QProcess>>& workers) {
    for (auto& w : workers) w->terminate();
    for (auto& w : workers) w->waitForFinished(30000);
    workers.clear();
}

// Until `count` workers' heartbeats are in Redis (they have connected and checked the server).
void wait_for_workers(QueueClient& client, size_t count) {
    QElapsedTimer t;
    t.start();
    while (client.workers().size() < count && t.elapsed() < 30000) QThread::msleep(20);
}

int usage() {
    std::fprintf(stderr, "usage: bench_queue_overhead [--runs N] [--size PX] [--steps S] [--jobs N] "
                         "[--heavy-size PX] [--heavy-steps S] [--model DIR]\n");
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    // One thread for the local Engine as for each worker; OpenMP and OpenBLAS read these when
    // they load, so the bench starts itself again with them set.
    if (!std::getenv("DIT_BENCH_SINGLE_THREAD")) {
        setenv("DIT_BENCH_SINGLE_THREAD", "1", 1);
        setenv("OMP_NUM_THREADS", "1", 1);
        setenv("OPENBLAS_NUM_THREADS", "1", 1);
        execv("/proc/self/exe", argv);
        std::perror("bench_queue_overhead: cannot restart itself");
        return 1;
    }
    QCoreApplication app(argc, argv);
    int runs = 30, size = 64, steps = 8, jobs = 12, heavy_size = 256, heavy_steps = 20;
    QString model = QStringLiteral(DIT_SOURCE_DIR "/tests/fixtures/tiny-pixart-alpha");
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (i + 1 >= argc) return usage();
        const char* v = argv[++i];
        if (a == "--runs") runs = std::atoi(v);
        else if (a == "--size") size = std::atoi(v);
        else if (a == "--steps") steps = std::atoi(v);
        else if (a == "--jobs") jobs = std::atoi(v);
        else if (a == "--heavy-size") heavy_size = std::atoi(v);
        else if (a == "--heavy-steps") heavy_steps = std::atoi(v);
        else if (a == "--model") model = v;
        else return usage();
    }
    if (runs < 3 || size < 16 || size % 16 || steps < 2 || jobs < 3 || heavy_size < 16 || heavy_size % 16 || heavy_steps < 2)
        return usage();
    const QString cli = QCoreApplication::applicationDirPath() + "/../app/dit-cli";
    const std::string served = QFileInfo(model).fileName().toStdString();

    dit::testing::RedisServer redis;
    if (!redis.start()) {
        std::fprintf(stderr, "bench_queue_overhead: cannot start redis-server\n");
        return 1;
    }
    QueueClient client(dit::remote::parse_redis_url(redis.url().toStdString()));
    std::printf("machine: %s, %u threads (workers and the local engine: 1 thread each)\n",
                dit::bench::cpu_model().c_str(), std::thread::hardware_concurrency());
    std::printf("model: %s; redis-server on 127.0.0.1:%d\n", model.toUtf8().constData(), redis.port());

    dit::Request request;
    request.model_dir = model.toStdString();
    request.prompt = "a red circle at the top left";
    request.width = request.height = size;
    request.steps = steps;
    dit::Engine engine;
    auto local = [&](bool previews) {
        dit::Callbacks cb;
        int sink = 0;
        if (previews) cb.preview = [&](const dit::Image& img, const dit::Progress&) { sink += img.width; };
        QElapsedTimer t;
        t.start();
        const dit::Result r = engine.generate(request, cb);
        dit::studio::encode_result_png(r.image, request);
        return ms_since(t);
    };
    auto queued = [&](int preview_ms) {
        dit::remote::RemoteRunOptions o;
        o.preview_ms = preview_ms;
        QElapsedTimer t;
        t.start();
        dit::remote::run_remote_job(client, request, served, o);
        return ms_since(t);
    };

    // Overheads: local and queued runs interleaved, so a busy neighbour weighs on both alike.
    std::vector<std::unique_ptr<QProcess>> workers;
    workers.push_back(start_worker(cli, redis.url(), "bench0", model));
    wait_for_workers(client, 1);
    local(true), queued(0);  // warm-up: models loaded on both sides
    std::vector<double> l_one, l_all, q_one, q_all;
    for (int i = 0; i < runs; ++i) {
        l_one.push_back(local(false));
        q_one.push_back(queued(60000));  // one preview: the first step's
        l_all.push_back(local(true));
        q_all.push_back(queued(0));      // a preview every step
    }
    stop(workers);
    const double per_job = median(q_one) - median(l_one);
    const double per_preview = ((median(q_all) - median(q_one)) - (median(l_all) - median(l_one))) / (steps - 1);
    std::printf("job %dx%d px, %d steps, %d runs each (medians):\n", size, size, steps, runs);
    std::printf("  local %.2f ms, queue %.2f ms (one preview)\n", median(l_one), median(q_one));
    std::printf("  local %.2f ms, queue %.2f ms (a preview every step)\n", median(l_all), median(q_all));

    // Throughput: the same batch of heavier jobs, all queued at once, for 1, 2 and 3 workers.
    request.width = request.height = heavy_size;
    request.steps = heavy_steps;
    std::printf("throughput: %d jobs of %dx%d px, %d steps, queued at once\n", jobs, heavy_size, heavy_size, heavy_steps);
    std::vector<double> rate;
    for (int n = 1; n <= 3; ++n) {
        for (int i = 0; i < n; ++i) workers.push_back(start_worker(cli, redis.url(), QString("tp%1-%2").arg(n).arg(i), model));
        wait_for_workers(client, size_t(n));
        QElapsedTimer t;
        t.start();
        std::vector<std::string> ids;
        for (int i = 0; i < jobs; ++i) request.seed = uint64_t(i), ids.push_back(client.submit(request, served, 1000, 600));
        for (const auto& id : ids)
            while (!client.ending(id)) QThread::msleep(5);
        const double s = ms_since(t) / 1000;
        rate.push_back(jobs / s);
        std::printf("  %d worker%s: %.2f s, %.3f jobs/s (x%.2f)\n", n, n > 1 ? "s" : "", s, rate.back(),
                    rate.back() / rate.front());
        std::fflush(stdout);
        stop(workers);
    }
    std::printf("overhead per job: %.2f ms; per preview: %.3f ms; throughput 1/2/3 workers: %.3f/%.3f/%.3f jobs/s\n",
                per_job, per_preview, rate[0], rate[1], rate[2]);
    return 0;
}
