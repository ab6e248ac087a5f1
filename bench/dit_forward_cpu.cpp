// DiT forward on the CPU against PyTorch eager, same weights, inputs and thread count, one run.
//
// A PixArt-architecture transformer with random weights (by default 12 blocks, hidden 576 = 8
// heads x 72, caption 1024, 120 prompt tokens) at a 32x32 latent (256 tokens, a 256 px image), batch 2 as
// under classifier-free guidance. Speed does not depend on the weights' values. The weights are
// written once as f32 safetensors (and, for --dtype bf16/f16, rounded to that format by the
// PyTorch script) and mmapped by the engine, which keeps even f16/bf16 matrices in the mapping,
// so peak RSS should stay near weights + activations; both are printed. PyTorch runs in f32 on
// the same (rounded) weight values. The last line is the figure: the speedup.
//
// Usage: bench_dit_forward_cpu [--runs N] [--layers N] [--heads N] [--caption N] [--keep DIR]
//                              [--dtype f32|bf16|f16]
//   --layers 28 --heads 16 --caption 4096 is PixArt-α's full size (611M parameters, 2.4 GB f32).
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>

#include "engine/io/npy.h"
#include "engine/io/safetensors.h"
#include "engine/models/pixart/pixart_transformer.h"
#include "kernels/cpu/ops.h"
#include "bench/bench_machine.h"
#include "bench/bench_peer.h"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

using dit::bench::cpu_model;
using dit::bench::field;
using dit::bench::peak_rss_mib;
using dit::bench::randn;
using dit::bench::run;

}  // namespace

int main(int argc, char** argv) {
    int runs = 5, layers = 12, heads = 8, caption = 1024;
    std::string keep, dtype = "f32";
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        if (a == "--runs") runs = std::atoi(argv[i + 1]);
        else if (a == "--layers") layers = std::atoi(argv[i + 1]);
        else if (a == "--heads") heads = std::atoi(argv[i + 1]);
        else if (a == "--caption") caption = std::atoi(argv[i + 1]);
        else if (a == "--keep") keep = argv[i + 1];
        else if (a == "--dtype") dtype = argv[i + 1];
    }
    if (dtype != "f32" && dtype != "bf16" && dtype != "f16") {
        std::fprintf(stderr, "--dtype must be f32, bf16 or f16\n");
        return 2;
    }
    const int threads = static_cast<int>(std::thread::hardware_concurrency());
    const fs::path dir = keep.empty() ? fs::temp_directory_path() / ("dit-bench-" + std::to_string(getpid())) : fs::path(keep);
    const std::string py = "/usr/bin/python3 " DIT_SOURCE_DIR "/tools/reference/bench_pixart_torch.py";
    fs::create_directories(dir);
    if (!fs::exists(dir / "transformer" / "config.json"))
        run(py + " make " + dir.string() + " --layers " + std::to_string(layers) + " --heads " +
            std::to_string(heads) + " --caption " + std::to_string(caption));
    const std::string component = dtype == "f32" ? "transformer" : "transformer-" + dtype;
    if (!fs::exists(dir / component / "config.json")) run(py + " convert " + dir.string() + " --dtype " + dtype);

    const int B = 2, L = 120, H = 32, W = 32;
    auto model = dit::PixArtTransformer2DModel::load(dir / component);
    const auto& c = model->config();
    std::mt19937 rng(0);
    const dit::Tensor latent = randn({B, c.in_channels, H, W}, rng);
    const dit::Tensor embeds = randn({B, L, c.caption_channels}, rng);
    std::vector<int32_t> mask(B * L, 1);
    for (int j = 40; j < L; ++j) mask[j] = 0;  // the first prompt is 40 tokens long
    const std::vector<float> timestep{500.f, 500.f};
    dit::Tensor mask_f({B, L}), resolution = dit::Tensor::from({B, 2}, {256, 256, 256, 256}),
                                aspect = dit::Tensor::from({B, 1}, {1, 1});
    for (int i = 0; i < B * L; ++i) mask_f[i] = static_cast<float>(mask[i]);
    dit::save_safetensors(dir / "inputs.safetensors",
                          {{"latent", latent}, {"prompt_embeds", embeds}, {"prompt_mask", mask_f},
                           {"timestep", dit::Tensor::from({B}, {500.f, 500.f})},
                           {"resolution", resolution}, {"aspect_ratio", aspect}});

    auto& ops = dit::kernels::fast();
    const auto prompt = model->encode_prompt(embeds, mask, ops);
    dit::Tensor out = model->forward(latent, timestep, prompt, H * 8, W * 8, ops);  // warm-up
    std::vector<double> times;
    for (int r = 0; r < runs; ++r) {
        const auto t0 = Clock::now();
        out = model->forward(latent, timestep, prompt, H * 8, W * 8, ops);
        times.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
    }
    std::sort(times.begin(), times.end());
    const double ours = times[times.size() / 2];
    const double rss = peak_rss_mib();
    const double weights_mib = fs::file_size(dir / component / "diffusion_pytorch_model.safetensors") / 1048576.0;

    const std::string torch = run(py + " time " + dir.string() + " --threads " + std::to_string(threads) +
                                  " --runs " + std::to_string(runs) + " --component " + component);
    const double theirs = std::stod(field(torch, "torch_median_s"));
    const dit::Tensor ref = dit::read_npy(dir / "torch_output.npy");
    double err = 0, mag = 0;
    for (int64_t i = 0; i < ref.numel(); ++i) {
        err = std::max(err, double(std::abs(ref[i] - out[i])));
        mag = std::max(mag, double(std::abs(ref[i])));
    }
    if (keep.empty()) fs::remove_all(dir);

    std::printf("machine: %s, %d threads\n", cpu_model().c_str(), threads);
    std::printf("model: PixArt architecture, %d blocks, hidden %d (%d heads x %d), caption %d, %s weights %.1f MiB (mmapped)\n",
                c.num_layers, c.hidden(), c.heads, c.head_dim, c.caption_channels, dtype.c_str(), weights_mib);
    std::printf("input: batch %d (CFG), latent %dx%d -> %d tokens, prompt %d tokens\n", B, H, W,
                (H / c.patch_size) * (W / c.patch_size), L);
    std::printf("outputs agree: max |ours - torch| = %.2e (max |torch| = %.2f)\n", err, mag);
    std::printf("dit-studio forward (median of %d): %.4f s\n", runs, ours);
    std::printf("pytorch %s eager forward (median of %d): %.4f s\n",
                field(torch, "torch_version").c_str(), runs, theirs);
    std::printf("peak RSS: %.1f MiB = %.2f x weights\n", rss, rss / weights_mib);
    std::printf("speedup vs PyTorch eager: %.2fx\n", theirs / ours);
    return 0;
}
