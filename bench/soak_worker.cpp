// The GenerationWorker soak: --count requests through the real worker on the embedded default
// model (or --model DIR), with cancels and live supersedes mixed in from --seed (the mix is in
// bench/worker_soak.h). It fails on a crash (the signal is named with the round it hit), on a
// deadlock (the watchdog), and on any signal that breaks the worker's contract. Resident memory
// (VmRSS) is read once --warmup requests have ended (models loaded, caches and allocator arenas
// at their working size) and again at the end; the last line is the growth between the two.
//
// Usage: bench_soak_worker [--count N] [--size PX] [--steps S] [--seed S] [--warmup N]
//                          [--watchdog SECONDS] [--model DIR]
#include <QCoreApplication>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <unistd.h>

#include "bench/bench_machine.h"
#include "bench/worker_soak.h"
#include "studio/install_paths.h"

namespace {

volatile std::sig_atomic_t g_round = 0;

// Async-signal-safe: names the signal and the round, then dies of the signal as before, so the
// exit status still says "crashed" (and a core dump, where enabled, is still written).
void on_crash(int sig) {
    char buf[96];
    const char* name = sig == SIGSEGV ? "SIGSEGV" : sig == SIGABRT ? "SIGABRT" : sig == SIGBUS ? "SIGBUS"
                     : sig == SIGFPE ? "SIGFPE" : "SIGILL";
    int n = 0;
    for (const char* s = "soak: crashed ("; *s;) buf[n++] = *s++;
    for (const char* s = name; *s;) buf[n++] = *s++;
    for (const char* s = ") in round "; *s;) buf[n++] = *s++;
    char digits[16];
    int d = 0;
    for (long r = g_round; d == 0 || r > 0; r /= 10) digits[d++] = char('0' + r % 10);
    while (d > 0) buf[n++] = digits[--d];
    buf[n++] = '\n';
    [[maybe_unused]] auto w = ::write(2, buf, size_t(n));
    std::signal(sig, SIG_DFL);
    std::raise(sig);
}

int usage() {
    std::fprintf(stderr, "usage: bench_soak_worker [--count N] [--size PX] [--steps S] [--seed S] "
                         "[--warmup N] [--watchdog SECONDS] [--model DIR]\n");
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    QCoreApplication app(argc, argv);
    dit::bench::SoakOptions o;
    o.model_dir = dit::studio::default_model_dir();
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (i + 1 >= argc) return usage();
        const char* v = argv[++i];
        if (a == "--count") o.count = std::atoi(v);
        else if (a == "--size") o.size = std::atoi(v);
        else if (a == "--steps") o.steps = std::atoi(v);
        else if (a == "--seed") o.seed = std::strtoull(v, nullptr, 10);
        else if (a == "--warmup") o.warmup = std::atoi(v);
        else if (a == "--watchdog") o.watchdog_s = std::atoi(v);
        else if (a == "--model") o.model_dir = v;
        else return usage();
    }
    if (o.count < 1 || o.size < 16 || o.size % 16 || o.steps < 2 || o.watchdog_s < 1 || o.warmup < 0) {
        std::fprintf(stderr, "bench_soak_worker: need --count >= 1, --size a multiple of 16, --steps >= 2\n");
        return 2;
    }
    if (o.model_dir.empty()) {
        std::fprintf(stderr, "bench_soak_worker: no default model found; pass --model DIR\n");
        return 2;
    }
    if (o.warmup >= o.count) o.warmup = 0;
    for (int sig : {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL}) std::signal(sig, on_crash);

    std::printf("machine: %s, %u threads\n", dit::bench::cpu_model().c_str(), std::thread::hardware_concurrency());
    std::printf("model: %s\n", o.model_dir.c_str());
    std::printf("soak: %d requests, %dx%d px, %d steps, seed %llu, watchdog %d s\n", o.count, o.size, o.size,
                o.steps, static_cast<unsigned long long>(o.seed), o.watchdog_s);
    std::printf("rss at start: %.1f MiB\n", dit::bench::rss_mib());
    std::fflush(stdout);

    auto* worker = new dit::studio::GenerationWorker;
    dit::bench::WorkerSoak soak(*worker, o);
    g_round = 1;
    int reported = 0;
    const auto report = soak.run([&](const dit::bench::SoakReport& r) {
        g_round = g_round + 1;  // the round about to run, for the crash message
        if (r.requests / 50 > reported / 50) {
            std::printf("  %4d requests, %6.1f s, rss %.1f MiB\n", r.requests, r.seconds, dit::bench::rss_mib());
            std::fflush(stdout);
        }
        reported = r.requests;
    });

    if (!report.ok()) {
        for (const QString& v : report.violations) std::fprintf(stderr, "soak: %s\n", qPrintable(v));
        std::fflush(stderr);
        // A stuck worker would hang its destructor; the message above is the result.
        if (report.deadlock) std::_Exit(3);
        delete worker;
        return 1;
    }
    delete worker;

    std::printf("rounds:");
    for (const auto& [kind, n] : report.rounds) std::printf(" %s %d", dit::bench::round_name(kind), n);
    std::printf("\nrequests %d: finished %d, cancelled %d (%d before they started), failed %d\n", report.requests,
                report.finished, report.cancelled, report.dropped, report.failed);
    std::printf("cancel calls %d, supersedes %d\n", report.cancel_calls, report.supersedes);
    std::printf("time %.1f s (%.2f s per request)\n", report.seconds, report.seconds / report.requests);
    const int after = report.requests - report.warm_at;
    const double growth = report.rss_end_mib - report.rss_warm_mib;
    std::printf("rss after %d requests (warm-up): %.1f MiB; at the end: %.1f MiB\n", report.warm_at,
                report.rss_warm_mib, report.rss_end_mib);
    std::printf("rss growth: %.2f MiB over %d requests after warm-up (%.1f KiB per request)\n", growth, after,
                after > 0 ? growth * 1024 / after : 0.0);
    return 0;
}
