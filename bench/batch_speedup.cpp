// Batches against single runs: N images of one request (seeds seed .. seed + N - 1) made by
// Engine::generate_batch, which stacks the items into one transformer forward per step while the
// activation budget allows (engine/pipeline/batch.h), against the peer measured in the same run:
// N calls of Engine::generate, one per seed. Both on the same engine (the model loaded once,
// before either is timed). Prints per-image seconds of each, the items per forward, and the
// largest pixel difference of batch item k against its single run. The figure on the last line:
// the per-image speed-up of the batch (single s / batched s).
//
// Usage: bench_batch_speedup [--model DIR] [--count N] [--size PX] [--steps N] [--backend NAME]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "bench/bench_machine.h"
#include "engine/pipeline/batch.h"
#include "engine/pipeline/engine.h"

int main(int argc, char** argv) {
    std::string model = std::string(DIT_SOURCE_DIR) + "/resources/models/default", backend = "cpu";
    int count = 4, size = 128, steps = 20;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        if (a == "--model") model = argv[i + 1];
        else if (a == "--count") count = std::atoi(argv[i + 1]);
        else if (a == "--size") size = std::atoi(argv[i + 1]);
        else if (a == "--steps") steps = std::atoi(argv[i + 1]);
        else if (a == "--backend") backend = argv[i + 1];
        else return std::fprintf(stderr, "unknown option %s\n", argv[i]), 2;
    }
    dit::Request r;
    r.model_dir = model;
    r.prompt = "a large red circle at the top left and a small blue square at the bottom right";
    r.negative_prompt = "";
    r.width = r.height = size;
    r.steps = steps;
    r.cfg = 4.5f;
    r.seed = 100;
    r.backend = backend;
    dit::Engine engine;
    dit::Callbacks cb;
    auto timed = [](auto&& f) {
        const auto t0 = std::chrono::steady_clock::now();
        f();
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    };
    {
        dit::Request warm = r;
        warm.steps = 1;
        engine.generate(warm, cb);  // loads the model; not timed
    }
    std::vector<dit::Image> singles;
    const double single_s = timed([&] {
        for (int k = 0; k < count; ++k) {
            dit::Request one = r;
            one.seed = r.seed + uint64_t(k);
            singles.push_back(engine.generate(one, cb).image);
        }
    });
    std::vector<dit::Result> batch;
    const double batch_s = timed([&] { batch = engine.generate_batch(r, count, cb); });
    int worst = 0;
    for (int k = 0; k < count; ++k)
        for (size_t i = 0; i < singles[size_t(k)].rgb.size(); ++i)
            worst = std::max(worst, std::abs(int(singles[size_t(k)].rgb[i]) - int(batch[size_t(k)].image.rgb[i])));

    std::printf("machine: %s, %u threads, backend %s\n", dit::bench::cpu_model().c_str(), std::thread::hardware_concurrency(),
                backend.c_str());
    std::printf("%s, %dx%d, %d steps, CFG 4.5 (2 branches), %d images\n", model.c_str(), size, size, steps, count);
    std::printf("%-24s %12s %12s\n", "", "total s", "per image s");
    std::printf("%-24s %12.2f %12.3f\n", "single runs (peer)", single_s, single_s / count);
    std::printf("%-24s %12.2f %12.3f\n", "batched", batch_s, batch_s / count);
    std::printf("largest difference of a batch item against its single run: %d of 255\n", worst);
    std::printf("per-image speed-up of the batch over %d single runs: %.2fx\n", count, single_s / batch_s);
    return 0;
}
