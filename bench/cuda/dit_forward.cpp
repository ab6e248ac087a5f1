// DiT forward on the GPU against PyTorch eager (bf16, scaled_dot_product_attention) on the same
// GPU, weights and inputs, in one run.
//
// A PixArt-α-sized transformer with random weights (28 blocks, hidden 1152 = 16 heads x 72,
// caption 4096, 120 prompt tokens), made by tools/reference/bench_pixart_torch.py and rounded to
// bf16, at 1024 px (128x128 latent, 4096 tokens) and 512 px (1024 tokens), batch 2 as under
// classifier-free guidance. Speed does not depend on the weights' values. Both sides are timed
// from host to host (ours returns the output in host memory; PyTorch synchronises), median of
// --runs after a warm-up. The last line is the figure: the speedup at 1024 px.
//
// Usage: bench_dit_forward_cuda [--runs N] [--layers N] [--sizes 1024,512] [--keep DIR]
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "bench/bench_peer.h"
#include "engine/io/npy.h"
#include "engine/io/safetensors.h"
#include "engine/models/pixart/pixart_transformer.h"
#include "kernels/cuda/cuda.h"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using dit::bench::field;
using dit::bench::run;

namespace {

dit::Tensor randn(dit::Shape shape, std::mt19937& rng) {
    std::normal_distribution<float> n(0.f, 1.f);
    dit::Tensor t(std::move(shape));
    for (int64_t i = 0; i < t.numel(); ++i) t[i] = n(rng);
    return t;
}

struct Row {
    int size = 0;
    double ours = 0, theirs = 0, rel_err = 0;
    size_t our_bytes = 0, their_bytes = 0;
};

}  // namespace

int main(int argc, char** argv) {
    int runs = 10, layers = 28;
    std::string keep, sizes_arg = "1024,512";
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        if (a == "--runs") runs = std::atoi(argv[i + 1]);
        else if (a == "--layers") layers = std::atoi(argv[i + 1]);
        else if (a == "--sizes") sizes_arg = argv[i + 1];
        else if (a == "--keep") keep = argv[i + 1];
    }
    if (const std::string why = dit::kernels::cuda::unavailable_reason(); !why.empty()) {
        std::printf("SKIP: %s\n", why.c_str());
        return 77;
    }
    std::vector<int> sizes;
    std::stringstream ss(sizes_arg);
    for (std::string s; std::getline(ss, s, ',');) sizes.push_back(std::atoi(s.c_str()));
    const fs::path dir = keep.empty() ? fs::temp_directory_path() / ("dit-bench-cuda-" + std::to_string(getpid())) : fs::path(keep);
    const std::string py = dit::bench::python() + " " DIT_SOURCE_DIR "/tools/reference/bench_pixart_torch.py";
    fs::create_directories(dir);
    // A folder without "complete" was cut short (a timeout while --keep kept it): made again.
    if (!fs::exists(dir / "transformer" / "complete"))
        run(py + " make " + dir.string() + " --layers " + std::to_string(layers) +
            " --heads 16 --caption 4096 --sample-size 128");
    if (!fs::exists(dir / "transformer-bf16" / "complete")) run(py + " convert " + dir.string() + " --dtype bf16");

    auto& gpu = dit::kernels::cuda::backend();
    auto model = dit::PixArtTransformer2DModel::load(dir / "transformer-bf16", gpu);
    const auto& c = model->config();
    const int B = 2, L = 120;
    std::vector<Row> rows;
    for (int size : sizes) {
        const int h = size / 8;
        std::mt19937 rng(size);
        const dit::Tensor latent = randn({B, c.in_channels, h, h}, rng);
        const dit::Tensor embeds = randn({B, L, c.caption_channels}, rng);
        std::vector<int32_t> mask(B * L, 1);
        for (int j = 40; j < L; ++j) mask[j] = 0;  // the first prompt is 40 tokens long
        dit::Tensor mask_f({B, L});
        for (int i = 0; i < B * L; ++i) mask_f[i] = float(mask[i]);
        const float fs_ = float(size);
        dit::save_safetensors(dir / "inputs.safetensors",
                              {{"latent", latent}, {"prompt_embeds", embeds}, {"prompt_mask", mask_f},
                               {"timestep", dit::Tensor::from({B}, {500.f, 500.f})},
                               {"resolution", dit::Tensor::from({B, 2}, {fs_, fs_, fs_, fs_})},
                               {"aspect_ratio", dit::Tensor::from({B, 1}, {1, 1})}});
        const std::vector<float> timestep{500.f, 500.f};
        const auto prompt = model->encode_prompt(embeds, mask, gpu);
        dit::Tensor out = model->forward(latent, timestep, prompt, size, size, gpu);  // warm-up: uploads, plans
        std::vector<double> times;
        for (int r = 0; r < runs; ++r) {
            const auto t0 = Clock::now();
            out = model->forward(latent, timestep, prompt, size, size, gpu);
            times.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
        }
        std::sort(times.begin(), times.end());
        Row row;
        row.size = size;
        row.ours = times[times.size() / 2];
        row.our_bytes = gpu.device_bytes_in_use();

        const std::string torch = run(py + " time " + dir.string() + " --device cuda --bf16 --sdpa --runs " +
                                      std::to_string(runs) + " --component transformer-bf16");
        row.theirs = std::stod(field(torch, "torch_median_s"));
        row.their_bytes = std::stoull(field(torch, "torch_peak_bytes"));
        const dit::Tensor ref = dit::read_npy(dir / "torch_output.npy");
        double diff = 0, norm = 0;
        for (int64_t i = 0; i < ref.numel() && i < out.numel(); ++i) {
            diff += double(out[i] - ref[i]) * (out[i] - ref[i]);
            norm += double(ref[i]) * ref[i];
        }
        row.rel_err = std::sqrt(diff / std::max(norm, 1e-30));
        rows.push_back(row);
        std::printf("%d px: ours %.4f s, pytorch %.4f s (%s), outputs differ by %.2e (relative L2)\n", size, row.ours,
                    row.theirs, field(torch, "torch_version").c_str(), row.rel_err);
        std::fflush(stdout);
    }
    if (keep.empty()) fs::remove_all(dir);

    const auto d = dit::kernels::cuda::device_info();
    std::printf("machine: %s (sm_%d%d, %d SMs)\n", d.name.c_str(), d.major, d.minor, d.multiprocessors);
    std::printf("model: PixArt architecture, %d blocks, hidden %d (%d heads x %d), caption %d, bf16 weights\n",
                c.num_layers, c.hidden(), c.heads, c.head_dim, c.caption_channels);
    std::printf("%-8s %-8s %10s %10s %9s %14s %14s\n", "size", "tokens", "ours s", "torch s", "speedup", "our GPU MiB",
                "torch peak MiB");
    for (const Row& r : rows)
        std::printf("%-8d %-8d %10.4f %10.4f %8.2fx %14.0f %14.0f\n", r.size, (r.size / 16) * (r.size / 16), r.ours,
                    r.theirs, r.theirs / r.ours, r.our_bytes / 1048576.0, r.their_bytes / 1048576.0);
    std::printf("(our GPU MiB: all memory in use on the device, the PyTorch process's included if it still held any)\n");
    std::printf("speedup vs PyTorch eager bf16 SDPA at %d px: %.2fx\n", rows.front().size,
                rows.front().theirs / rows.front().ours);
    return 0;
}
