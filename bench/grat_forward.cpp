// A whole transformer forward with GRAT's grouped self-attention against the plain forward, in
// the same run on the fast CPU backend: time and the output's relative error ‖grat − full‖ /
// ‖full‖, on the embedded default model (a trained PixArt: 6 blocks, 3 heads x 64), batch 2 as
// under classifier-free guidance, at token grids of 64² and 128² (1024 and 2048 px images).
//
// These are the error figures on a trained model's own activations that bench_grat_attention's
// synthetic inputs cannot give, with two caveats stated in docs/benchmarks.md: the default model
// was trained at 128 px (an 8 x 8 token grid), so these grids lie far outside what it learned, and
// its prompt embeddings here are random (the T5 side does not change the self-attention's cost).
// The input is the first step's: pure noise at timestep 999.
//
// Usage: bench_grat_forward [--grids 64,128] [--group 8] [--runs 1]
// The last line is the figure: the forward's speed-up and error at the largest grid.
#include <omp.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "bench/bench_machine.h"
#include "engine/models/pixart/pixart_transformer.h"
#include "kernels/cpu/ops.h"

namespace {

std::string loadavg() {
    std::ifstream f("/proc/loadavg");
    std::string a, b, c;
    f >> a >> b >> c;
    return a + " " + b + " " + c;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<int64_t> grids{64, 128};
    int64_t group = 8;
    int runs = 1;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i], v = argv[i + 1];
        if (a == "--grids") {
            grids.clear();
            std::stringstream s(v);
            for (std::string item; std::getline(s, item, ',');) grids.push_back(std::stoll(item));
        } else if (a == "--group") group = std::stoll(v);
        else if (a == "--runs") runs = std::stoi(v);
        else {
            std::fprintf(stderr, "unknown option %s (see the header of bench/grat_forward.cpp)\n", a.c_str());
            return 2;
        }
    }
    const std::filesystem::path dir = DIT_SOURCE_DIR "/resources/models/default/transformer";
    auto model = dit::PixArtTransformer2DModel::load(dir);
    const auto& c = model->config();
    auto& ops = dit::kernels::fast();
    std::printf("machine: %s (%s), %d OpenMP threads, load average %s\n", dit::bench::cpu_model().c_str(),
                dit::bench::cpu_flags().c_str(), omp_get_max_threads(), loadavg().c_str());
    std::printf("model: %s (%d blocks, %d heads x %d), batch 2, timestep 999, GRAT group %lld, radius 1 + band\n",
                dir.string().c_str(), c.num_layers, c.heads, c.head_dim, (long long)group);
    std::printf("%8s %6s %11s %11s %9s %10s\n", "tokens", "grid", "full s", "grat s", "speed-up", "rel err");
    std::mt19937 rng(0);
    const int64_t B = 2, L = 16;
    const dit::Tensor embeds = dit::bench::randn({B, L, c.caption_channels}, rng);
    const auto prompt = model->encode_prompt(embeds, std::vector<int32_t>(size_t(B * L), 1), ops);
    const std::vector<float> timestep{999.f, 999.f};
    double speedup = 0, err = 0;
    for (int64_t n : grids) {
        const int64_t side = n * c.patch_size, px = side * 8;
        const dit::Tensor latent = dit::bench::randn({B, c.in_channels, side, side}, rng);
        dit::Tensor full, grat;
        const double t_full = dit::bench::median_seconds(
            runs, [&] { full = model->forward(latent, timestep, prompt, int(px), int(px), ops); });
        dit::ForwardExtras extras;
        extras.block.grat_group = group;
        const double t_grat = dit::bench::median_seconds(
            runs, [&] { grat = model->forward(latent, timestep, prompt, int(px), int(px), ops, nullptr, &extras); });
        double diff = 0, norm = 0;
        for (int64_t i = 0; i < full.numel(); ++i) {
            const double d = double(grat[i]) - full[i];
            diff += d * d, norm += double(full[i]) * full[i];
        }
        speedup = t_full / t_grat, err = std::sqrt(diff / norm);
        std::printf("%8lld %4lld^2 %11.3f %11.3f %8.2fx %9.3f%%\n", (long long)(n * n), (long long)n, t_full, t_grat,
                    speedup, 100.0 * err);
        std::fflush(stdout);
    }
    std::printf("load average after: %s\n", loadavg().c_str());
    std::printf("figure: default model forward at %lld^2 tokens with GRAT group %lld: %.2fx the full forward, "
                "relative error %.3f%%\n", (long long)grids.back(), (long long)group, speedup, 100.0 * err);
    return 0;
}
