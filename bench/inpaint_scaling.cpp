// Inpainting cost against mask size: time per denoising step of full, crop and lazy inpainting at
// mask fractions 1, 5, 10, 25, 50 and 100 %, on the CPU fast backend, in one run.
//
// A PixArt-architecture transformer with random weights (by default 8 blocks, hidden 576 = 8 heads
// x 72, caption 1024, made by tools/reference/bench_pixart_torch.py as bench_dit_forward_cpu does),
// batch 2 as under classifier-free guidance, a 512x512 image (64x64 latent, 1024 tokens) whose
// native size is also the model's (sample_size 64; --native PX sets another, e.g. 256 to see crop
// generate at the model's smaller size). Speed does not depend on the weights' values.
// The mask is a centred square of the given area fraction; the engine's default mask settings
// (grow 6, blur 6, no extra halo) decide which tokens lazy runs.
//  - full:  one forward over all tokens per step (the same for every mask).
//  - crop:  one forward at the crop's size (mask box + margin, resized to the model's area).
//  - lazy:  a cached step runs the active tokens against the K/V cache; a refresh step is a full
//           forward that also fills the cache. Per step with refresh every k steps:
//           (refresh + (k - 1) x cached) / k.
// A step's sampler and re-imposition math is timed too (it is well under 1% of a step here).
// Each time is the fastest of --runs (default 3) after one warm-up forward per shape, and full is
// timed again in every row, next to the modes it is compared with: on a shared machine the
// minimum is the estimate least disturbed by other work. Run it with OMP_NUM_THREADS=1 there
// too: an OpenMP barrier waits for a descheduled thread, which turns load into noise.
//
// Usage: bench_inpaint_scaling [--layers N] [--heads N] [--caption N] [--size PX] [--native PX] [--refresh K]
//                              [--runs N] [--csv FILE] [--keep DIR]
// The last line is the figure: lazy vs full at a 10% mask.
#include <omp.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "engine/io/config.h"
#include "engine/models/pixart/pixart_transformer.h"
#include "engine/pipeline/inpaint.h"
#include "kernels/cpu/ops.h"
#include "bench/bench_machine.h"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

using dit::bench::cpu_model;
using dit::bench::randn;

void run(const std::string& cmd) {
    if (std::system(cmd.c_str()) != 0) throw std::runtime_error("command failed: " + cmd);
}

double min_time(int runs, const std::function<void()>& f) {
    std::vector<double> t;
    for (int r = 0; r < runs; ++r) {
        const auto t0 = Clock::now();
        f();
        t.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
    }
    return *std::min_element(t.begin(), t.end());
}

// A centred square covering `fraction` of the image (all of it at 1).
dit::Mask square_mask(int size, double fraction) {
    dit::Mask m;
    m.width = m.height = size;
    m.value.assign(size_t(size) * size, 0);
    const int side = std::min(size, int(std::lround(size * std::sqrt(fraction))));
    const int o = (size - side) / 2;
    for (int y = o; y < o + side; ++y)
        for (int x = o; x < o + side; ++x) m.value[size_t(y) * size + x] = 255;
    return m;
}

}  // namespace

int main(int argc, char** argv) {
    int layers = 8, heads = 8, caption = 1024, size = 512, native = 0, refresh = 4, runs = 3;
    std::string keep, csv;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        if (a == "--layers") layers = std::atoi(argv[i + 1]);
        else if (a == "--heads") heads = std::atoi(argv[i + 1]);
        else if (a == "--caption") caption = std::atoi(argv[i + 1]);
        else if (a == "--size") size = std::atoi(argv[i + 1]);
        else if (a == "--native") native = std::atoi(argv[i + 1]);
        else if (a == "--refresh") refresh = std::atoi(argv[i + 1]);
        else if (a == "--runs") runs = std::atoi(argv[i + 1]);
        else if (a == "--csv") csv = argv[i + 1];
        else if (a == "--keep") keep = argv[i + 1];
    }
    if (native == 0) native = size;
    if (size % 16 || size < 64 || native % 16 || native < 64 || refresh < 1 || runs < 1) {
        std::fprintf(stderr, "--size and --native must be multiples of 16 (>= 64), --refresh and --runs >= 1\n");
        return 2;
    }
    const int threads = omp_get_max_threads();
    const fs::path dir = keep.empty() ? fs::temp_directory_path() / ("dit-inpaint-bench-" + std::to_string(getpid())) : fs::path(keep);
    fs::create_directories(dir);
    if (!fs::exists(dir / "transformer" / "config.json"))
        run("/usr/bin/python3 " DIT_SOURCE_DIR "/tools/reference/bench_pixart_torch.py make " + dir.string() +
            " --layers " + std::to_string(layers) + " --heads " + std::to_string(heads) + " --caption " +
            std::to_string(caption) + " --sample-size " + std::to_string(native / 8) + " >/dev/null");

    auto model = dit::PixArtTransformer2DModel::load(dir / "transformer");
    const auto& c = model->config();
    const int B = 2, L = 120, down = 8, p = c.patch_size, lat = size / down;
    std::mt19937 rng(0);
    const dit::Tensor embeds = randn({B, L, c.caption_channels}, rng);
    std::vector<int32_t> pmask(B * L, 1);
    for (int j = 40; j < L; ++j) pmask[j] = 0;
    auto& ops = dit::kernels::fast();
    const auto prompt = model->encode_prompt(embeds, pmask, ops);
    const std::vector<float> ts{500.f, 500.f};
    auto forward = [&](const dit::Tensor& latent, const dit::ForwardExtras* extras) {
        return model->forward(latent, ts, prompt, int(latent.dim(2)) * down, int(latent.dim(3)) * down, ops, nullptr,
                              extras);
    };

    const dit::Tensor latent = randn({B, c.in_channels, lat, lat}, rng);
    forward(latent, nullptr);  // warm-up
    const int64_t n_tokens = int64_t(lat / p) * (lat / p);

    // The per-step latent math of inpainting (sampler step + re-imposition): a DPM-like update
    // and LatentInpaint::impose on the 1-item latent, timed at full size.
    dit::Request req;
    req.width = req.height = size;
    req.init_image = dit::Image{size, size, std::vector<uint8_t>(size_t(size) * size * 3, 128)};
    req.mask = square_mask(size, 0.1);
    req.inpaint_mode = "lazy";
    const dit::Tensor known = randn({1, c.in_channels, lat, lat}, rng), noise = randn(known.shape(), rng);
    dit::LatentInpaint inpaint(req, known, noise, down, p);
    auto sampler = dit::make_sampler("dpm++2m", dit::SchedulerConfig::from(dit::Config(nlohmann::json::object(), "bench")));
    sampler->set_timesteps(20);
    dit::Tensor x = noise.clone(), pred = known.clone();
    const double t_math = min_time(std::max(runs, 5), [&] {
        x = sampler->step(pred, 0, x, dit::Tensor());
        inpaint.impose(x, *sampler, 1);
        sampler->set_timesteps(20);  // step 0 again next time
    });

    std::printf("machine: %s, %d threads; backend %s\n", cpu_model().c_str(), threads, ops.name());
    std::printf("model: PixArt architecture, %d blocks, hidden %d (%d heads x %d), caption %d, random f32 weights; "
                "native %d px\n", c.num_layers, c.hidden(), c.heads, c.head_dim, c.caption_channels, c.sample_size * down);
    std::printf("input: %dx%d image, batch %d (CFG), latent %dx%d -> %lld tokens, prompt %d tokens; "
                "mask grow %d, blur %d, halo %d, crop margin %d; fastest of %d\n", size, size, B, lat, lat,
                static_cast<long long>(n_tokens), L, req.mask_grow, req.mask_blur, req.lazy_halo, req.crop_margin, runs);
    std::printf("per-step latent math (sampler step + re-imposition): %.2f ms\n", t_math * 1e3);
    std::printf("%6s %7s %9s %9s %11s %10s %10s %12s %8s %8s\n", "mask", "tokens", "full s", "crop s", "crop px",
                "lazy s", "refresh s", ("lazy k=" + std::to_string(refresh) + " s").c_str(), "x cached",
                ("x k=" + std::to_string(refresh)).c_str());
    std::FILE* out = csv.empty() ? nullptr : std::fopen(csv.c_str(), "w");
    if (out) std::fprintf(out, "mask_fraction,lazy_tokens,full_s,crop_s,crop_width,crop_height,lazy_cached_s,lazy_refresh_s,lazy_amortized_s\n");
    double cached10 = 0, amortized10 = 0, full10 = 0;
    for (double f : {0.01, 0.05, 0.10, 0.25, 0.50, 1.00}) {
        req.mask = square_mask(size, f);
        // crop: one forward at the crop's latent size
        const dit::CropPlan plan = dit::plan_crop(req, c.sample_size * down, down * p);
        const dit::Tensor crop_latent = randn({B, c.in_channels, plan.height / down, plan.width / down}, rng);
        forward(crop_latent, nullptr);
        // lazy: the token split of the engine's own masks, a refresh, then cached steps
        dit::LatentInpaint li(req, known, noise, down, p);
        dit::LazyTokens* tokens = li.lazy_step(0);
        dit::ForwardExtras extras;
        extras.lazy = tokens;
        // Interleaved, so a burst of other work on the machine hits every mode alike.
        double t_crop = INFINITY, t_refresh = INFINITY, t_cached = INFINITY, full = INFINITY;
        for (int r = 0; r < runs; ++r) {
            full = std::min(full, min_time(1, [&] { forward(latent, nullptr); }));
            t_crop = std::min(t_crop, min_time(1, [&] { forward(crop_latent, nullptr); }));
            tokens->refresh = true;
            t_refresh = std::min(t_refresh, min_time(1, [&] { forward(latent, &extras); }));
            tokens->refresh = false;
            t_cached = std::min(t_cached, min_time(1, [&] { forward(latent, &extras); }));
        }
        full += t_math, t_crop += t_math, t_refresh += t_math, t_cached += t_math;
        const double t_amortized = (t_refresh + (refresh - 1) * t_cached) / refresh;
        char crop_px[32];
        std::snprintf(crop_px, sizeof crop_px, "%dx%d", plan.width, plan.height);
        std::printf("%5.0f%% %7zu %9.3f %9.3f %11s %10.3f %10.3f %12.3f %7.2fx %7.2fx\n", f * 100, tokens->active.size(),
                    full, t_crop, crop_px, t_cached, t_refresh, t_amortized, full / t_cached, full / t_amortized);
        std::fflush(stdout);
        if (out)
            std::fprintf(out, "%.2f,%zu,%.5f,%.5f,%d,%d,%.5f,%.5f,%.5f\n", f, tokens->active.size(), full, t_crop,
                         plan.width, plan.height, t_cached, t_refresh, t_amortized);
        if (f == 0.10) cached10 = t_cached, amortized10 = t_amortized, full10 = full;
    }
    if (out) std::fclose(out);
    if (keep.empty()) fs::remove_all(dir);
    std::printf("lazy vs full at a 10%% mask: %.2fx per cached step, %.2fx per step with a refresh every %d steps\n",
                full10 / cached10, full10 / amortized10, refresh);
    return 0;
}
