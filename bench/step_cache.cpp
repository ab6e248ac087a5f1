// Step caching (Request::cache, engine/models/step_cache.h) against the plain run, in the same
// process on the same engine: for each threshold, the same prompts and seeds (so the same noise)
// generated with and without the cache. Prints per threshold the seconds of a whole generation,
// the speed-up over the plain peer, the steps skipped and the PSNR of the cached image against
// the plain one. The figure on the last line: the speed-up and PSNR at the threshold given by
// --pick (default: the studio's default threshold).
//
// Usage: bench_step_cache [--model DIR] [--size PX] [--steps N] [--images N] [--backend NAME]
//                         [--thresholds 0.05,0.1,0.2] [--pick T]
#include <chrono>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_machine.h"
#include "engine/pipeline/engine.h"

namespace {

const char* kPrompts[] = {
    "a large red circle at the top left and a large blue square at the bottom right on a yellow background",
    "a small green triangle in the middle on a white background",
    "a large brown square at the top right and a small white square at the bottom left on an orange background",
    "a person in the middle and a small red circle at the top right on a blue background",
};

}  // namespace

int main(int argc, char** argv) {
    std::string model = std::string(DIT_SOURCE_DIR) + "/resources/models/default", backend = "cpu";
    std::string thresholds = "0.05,0.1,0.2,0.3";
    int size = 128, steps = 20, images = 4;
    double pick = 0.1;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        if (a == "--model") model = argv[i + 1];
        else if (a == "--size") size = std::atoi(argv[i + 1]);
        else if (a == "--steps") steps = std::atoi(argv[i + 1]);
        else if (a == "--images") images = std::atoi(argv[i + 1]);
        else if (a == "--backend") backend = argv[i + 1];
        else if (a == "--thresholds") thresholds = argv[i + 1];
        else if (a == "--pick") pick = std::atof(argv[i + 1]);
        else return std::fprintf(stderr, "unknown option %s\n", argv[i]), 2;
    }
    std::vector<std::string> settings;
    std::stringstream list(thresholds);
    for (std::string t; std::getline(list, t, ',');) settings.push_back("teacache:" + t);

    dit::Request r;
    r.model_dir = model;
    r.width = r.height = size;
    r.steps = steps;
    r.cfg = 4.5f;
    r.backend = backend;
    dit::Engine engine;
    dit::Callbacks cb;
    {
        dit::Request warm = r;
        warm.prompt = kPrompts[0];
        warm.steps = 1;
        engine.generate(warm, cb);  // loads the model; not timed
    }
    // Alternating plain and cached runs of each image, so a change in the machine's load falls
    // on both sides alike.
    struct Row {
        double seconds = 0, psnr = 0;
        int skipped = 0;
    };
    std::vector<Row> rows(settings.size());
    double plain_s = 0;
    for (int k = 0; k < images; ++k) {
        dit::Request one = r;
        one.prompt = kPrompts[k % 4];
        one.seed = 500 + uint64_t(k);
        const auto t0 = std::chrono::steady_clock::now();
        const dit::Image plain = engine.generate(one, cb).image;
        plain_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        for (size_t j = 0; j < settings.size(); ++j) {
            one.cache = settings[j];
            const auto t1 = std::chrono::steady_clock::now();
            const dit::Result cached = engine.generate(one, cb);
            rows[j].seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
            rows[j].skipped += cached.skipped_steps;
            rows[j].psnr += std::min(dit::psnr(cached.image, plain), 99.0) / images;
        }
    }

    std::printf("machine: %s (%s), %u threads, backend %s\n", dit::bench::cpu_model().c_str(),
                dit::bench::cpu_flags().c_str(), std::thread::hardware_concurrency(), backend.c_str());
    std::printf("%s, %dx%d, %d steps dpm++2m, CFG 4.5, %d images (prompts x seeds), the same noise each side\n",
                model.c_str(), size, size, steps, images);
    std::printf("%-20s %12s %9s %14s %10s\n", "", "s / image", "speed-up", "skipped steps", "PSNR dB");
    std::printf("%-20s %12.3f %9s %14s %10s\n", "plain (peer)", plain_s / images, "1.00x", "0", "-");
    size_t picked = 0;
    for (size_t j = 0; j < settings.size(); ++j) {
        std::printf("%-20s %12.3f %8.2fx %14.1f %10.2f\n", settings[j].c_str(), rows[j].seconds / images,
                    plain_s / rows[j].seconds, double(rows[j].skipped) / images, rows[j].psnr);
        if (std::abs(std::atof(settings[j].c_str() + 9) - pick) < std::abs(std::atof(settings[picked].c_str() + 9) - pick))
            picked = j;
    }
    std::printf("(PSNR capped at 99 dB where the images are equal)\n");
    std::printf("%s: %.2fx a plain generation, PSNR %.2f dB against it\n", settings[picked].c_str(),
                plain_s / rows[picked].seconds, rows[picked].psnr);
    return 0;
}
