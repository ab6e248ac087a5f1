// Sana-Sprint end to end on the CPU against PyTorch eager, same weights, prompt, noise and thread
// count, one run each (the full size takes minutes a side on two cores).
//
// The folder (tools/reference/bench_sana_torch.py make) is Sana-Sprint-0.6B-shaped with random
// weights stored in bf16: Gemma-2-2B, the 28-block transformer (1152 wide, 1,024 tokens at
// 1024 px) and DC-AE f32c32. A request is the prompt through Gemma-2 (the instruction prefix in
// front), `--steps` transformer forwards with the SCM sampler, and the DC-AE decode; both sides
// time the same three stages. The engine keeps the bf16 matrices in the mapping; PyTorch runs
// the same values in float32 (tools/reference/sana_pipeline.py). Speed does not depend on the
// weights' values. The last line is the figure: the end-to-end speedup.
//
// Usage: bench_sana_pipeline [--scale full|tiny] [--size PX] [--steps N] [--keep DIR]
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_machine.h"
#include "bench/bench_peer.h"
#include "engine/io/npy.h"
#include "engine/pipeline/pipeline.h"
#include "kernels/cpu/ops.h"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
    std::string scale = "full", keep;
    int size = 0, steps = 2;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        if (a == "--scale") scale = argv[i + 1];
        else if (a == "--size") size = std::atoi(argv[i + 1]);
        else if (a == "--steps") steps = std::atoi(argv[i + 1]);
        else if (a == "--keep") keep = argv[i + 1];
    }
    if ((scale != "full" && scale != "tiny") || steps < 2) {
        std::fprintf(stderr, "--scale is full or tiny; --steps at least 2 (a step's time is the later steps' mean)\n");
        return 2;
    }
    if (size == 0) size = scale == "full" ? 1024 : 64;
    const int threads = static_cast<int>(std::thread::hardware_concurrency());
    const fs::path dir = keep.empty() ? fs::temp_directory_path() / ("dit-bench-sana-" + std::to_string(getpid()))
                                      : fs::path(keep);
    const std::string py = "/usr/bin/python3 " DIT_SOURCE_DIR "/tools/reference/bench_sana_torch.py";
    if (!fs::exists(dir / "complete")) dit::bench::run(py + " make " + dir.string() + " --scale " + scale);

    auto& ops = dit::kernels::fast();
    const auto t_load = Clock::now();
    auto pipeline = dit::load_pipeline(dir, ops);
    const double load_s = std::chrono::duration<double>(Clock::now() - t_load).count();
    dit::Request r;
    r.model_dir = dir;
    r.prompt = "a small red cube on a wooden table";
    r.width = r.height = size;
    r.steps = steps;
    r.sampler = "scm";
    r.cfg = 4.5f;
    r.seed = 0;
    std::vector<Clock::time_point> marks;
    dit::Callbacks cb;
    cb.progress = [&](const dit::Progress&) { marks.push_back(Clock::now()); };
    const auto t0 = Clock::now();
    const dit::Result result = pipeline->run(r, cb, ops);
    const auto t_end = Clock::now();
    const auto secs = [](Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); };
    const double step = secs(marks.front(), marks.back()) / double(steps - 1);
    const double ours = secs(t0, t_end), ours_prompt = secs(t0, marks.front()) - step,
                 ours_decode = secs(marks.back(), t_end);
    const double rss = dit::bench::peak_rss_mib();
    pipeline.reset();  // PyTorch's float32 copy of the weights (~14 GB at full size) needs the memory
    std::printf("machine: %s, %d threads\n", dit::bench::cpu_model().c_str(), threads);
    std::printf("model: Sana-Sprint-shaped (%s scale), random bf16 weights; %dx%d px, %d steps of scm\n",
                scale.c_str(), size, size, steps);
    std::printf("dit-studio: load %.2f s; prompt %.2f s, step %.2f s, decode %.2f s; request to image %.2f s; peak RSS %.0f MiB\n",
                load_s, ours_prompt, step, ours_decode, ours, rss);
    std::fflush(stdout);  // ours stands even if the peer fails

    const std::string torch = dit::bench::run(py + " time " + dir.string() + " --size " + std::to_string(size) +
                                              " --steps " + std::to_string(steps) + " --threads " +
                                              std::to_string(threads) + " --prompt '" + r.prompt + "'");
    const double theirs = std::stod(dit::bench::field(torch, "torch_total_s"));
    const std::string stages = dit::bench::field(torch, "torch_stages_s");
    const dit::Tensor ref = dit::read_npy(dir / "torch_image.npy");
    double worst = 0;  // 8-bit levels between the two images
    for (int64_t i = 0; i < ref.numel(); ++i) {
        const int64_t c = i / (int64_t(size) * size), p = i % (int64_t(size) * size);
        const double theirs_level = std::round(std::clamp((ref[i] + 1.0) * 127.5, 0.0, 255.0));
        worst = std::max(worst, std::abs(theirs_level - double(result.image.rgb[size_t(p * 3 + c)])));
    }
    if (keep.empty()) fs::remove_all(dir);

    std::printf("images agree: max %.0f of 255 levels apart\n", worst);
    std::printf("pytorch %s eager f32: load %s s; prompt, step, decode %s s; request to image %.2f s\n",
                dit::bench::field(torch, "torch_version").c_str(), dit::bench::field(torch, "torch_load_s").c_str(),
                stages.c_str(), theirs);
    std::printf("speedup vs PyTorch eager (request to image): %.2fx\n", theirs / ours);
    return 0;
}
