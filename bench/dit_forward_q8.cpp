// DiT forward on the CPU with Q8_0 weights: the int8 path (kernels/cpu/q8_gemm) against our f32
// path on the same model, and against Q8_0 dequantized a panel at a time into sgemm, and
// PyTorch eager f32 as the peer; same machine, same threads, one run.
//
// The model is bench_dit_forward_cpu's random PixArt-architecture transformer, by default at
// PixArt-α's size (28 blocks, hidden 1152 = 16 heads x 72, caption 4096), made by PyTorch as f32
// safetensors and quantized here with `dit-cli quantize`'s rule (engine/io/quantize_model.h).
// Input: batch 2 (classifier-free guidance), a 32x32 latent (256 tokens, a 256 px image) and
// 120 prompt tokens. The last line is the figure: the int8 path's speedup over our f32 path.
//
// Usage: bench_dit_forward_q8 [--runs N] [--layers N] [--heads N] [--caption N] [--latent N]
//                             [--keep DIR] [--no-torch]
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <thread>

#include "bench/bench_machine.h"
#include "bench/bench_peer.h"
#include "engine/io/npy.h"
#include "engine/io/quantize_model.h"
#include "engine/io/safetensors.h"
#include "engine/models/pixart/pixart_transformer.h"
#include "kernels/cpu/ops.h"
#include "kernels/cpu/q8_gemm.h"

namespace fs = std::filesystem;
using dit::bench::field;
using dit::bench::run;

namespace {

// RMS of (a - b) over RMS of b.
double relative_rms(const dit::Tensor& a, const dit::Tensor& b) {
    double e = 0, m = 0;
    for (int64_t i = 0; i < b.numel(); ++i) {
        e += double(a[i] - b[i]) * (a[i] - b[i]);
        m += double(b[i]) * b[i];
    }
    return std::sqrt(e / m);
}

}  // namespace

int main(int argc, char** argv) {
    int runs = 3, layers = 28, heads = 16, caption = 4096, latent = 32;
    bool torch = true;
    std::string keep;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--no-torch") { torch = false; continue; }
        if (i + 1 >= argc) break;
        if (a == "--runs") runs = std::atoi(argv[++i]);
        else if (a == "--layers") layers = std::atoi(argv[++i]);
        else if (a == "--heads") heads = std::atoi(argv[++i]);
        else if (a == "--caption") caption = std::atoi(argv[++i]);
        else if (a == "--latent") latent = std::atoi(argv[++i]);
        else if (a == "--keep") keep = argv[++i];
    }
    const int threads = static_cast<int>(std::thread::hardware_concurrency());
    const fs::path dir = keep.empty() ? fs::temp_directory_path() / ("dit-bench-q8-" + std::to_string(getpid())) : fs::path(keep);
    const std::string py = "/usr/bin/python3 " DIT_SOURCE_DIR "/tools/reference/bench_pixart_torch.py";
    fs::create_directories(dir);
    if (!fs::exists(dir / "transformer" / "config.json"))
        run(py + " make " + dir.string() + " --layers " + std::to_string(layers) + " --heads " + std::to_string(heads) +
            " --caption " + std::to_string(caption));
    const fs::path q8 = dir / "transformer-q8_0";
    if (!fs::exists(q8 / "diffusion_pytorch_model.gguf")) {
        fs::create_directories(q8);
        fs::copy_file(dir / "transformer" / "config.json", q8 / "config.json", fs::copy_options::overwrite_existing);
        dit::quantize_component(dir / "transformer", q8, "transformer", dit::DType::Q8_0);
    }

    auto& ops = dit::kernels::fast();
    const int B = 2, L = 120, H = latent, W = latent;
    auto f32 = dit::PixArtTransformer2DModel::load(dir / "transformer", ops);
    auto q8_model = dit::PixArtTransformer2DModel::load(q8, ops);
    const auto& c = f32->config();
    std::mt19937 rng(0);
    const dit::Tensor x = dit::bench::randn({B, c.in_channels, H, W}, rng);
    const dit::Tensor embeds = dit::bench::randn({B, L, c.caption_channels}, rng);
    std::vector<int32_t> mask(B * L, 1);
    for (int j = 40; j < L; ++j) mask[j] = 0;  // the first prompt is 40 tokens long
    const std::vector<float> timestep{500.f, 500.f};
    dit::Tensor mask_f({B, L});
    for (int i = 0; i < B * L; ++i) mask_f[i] = static_cast<float>(mask[i]);
    dit::save_safetensors(dir / "inputs.safetensors",
                          {{"latent", x}, {"prompt_embeds", embeds}, {"prompt_mask", mask_f},
                           {"timestep", dit::Tensor::from({B}, {500.f, 500.f})},
                           {"resolution", dit::Tensor::from({B, 2}, {256, 256, 256, 256})},
                           {"aspect_ratio", dit::Tensor::from({B, 1}, {1, 1})}});

    dit::Tensor out_f32, out_int8, out_deq;
    auto forward = [&](const dit::PixArtTransformer2DModel& m, dit::Tensor& out) {
        const auto prompt = m.encode_prompt(embeds, mask, ops);
        out = m.forward(x, timestep, prompt, H * 8, W * 8, ops);
    };
    // Each timed after a warm-up: first touches of the mapping, scratch allocations.
    auto timed = [&](const dit::PixArtTransformer2DModel& m, dit::Tensor& out) {
        forward(m, out);
        return dit::bench::median_seconds(runs, [&] { forward(m, out); });
    };
    const double t_f32 = timed(*f32, out_f32);
    const std::string path = dit::kernels::int8_path();
    const double t_int8 = timed(*q8_model, out_int8);
    dit::kernels::set_int8_enabled(false);
    const double t_deq = timed(*q8_model, out_deq);
    dit::kernels::set_int8_enabled(true);
    const double rss = dit::bench::peak_rss_mib();

    double t_torch = 0;
    std::string torch_version;
    if (torch) {
        const std::string out = run(py + " time " + dir.string() + " --threads " + std::to_string(threads) +
                                    " --runs " + std::to_string(runs) + " --component transformer");
        t_torch = std::stod(field(out, "torch_median_s"));
        torch_version = field(out, "torch_version");
    }
    const double mib_f32 = fs::file_size(dir / "transformer" / "diffusion_pytorch_model.safetensors") / 1048576.0;
    const double mib_q8 = fs::file_size(q8 / "diffusion_pytorch_model.gguf") / 1048576.0;
    if (keep.empty()) fs::remove_all(dir);

    std::printf("machine: %s, %d threads; CPU flags: %s\n", dit::bench::cpu_model().c_str(), threads,
                dit::bench::cpu_flags().c_str());
    std::printf("int8 path: %s\n", path.empty() ? "none (this CPU has no AVX2): Q8_0 ran dequantized" : path.c_str());
    std::printf("model: PixArt architecture, %d blocks, hidden %d (%d heads x %d), caption %d; f32 %.1f MiB, Q8_0 %.1f MiB\n",
                c.num_layers, c.hidden(), c.heads, c.head_dim, c.caption_channels, mib_f32, mib_q8);
    std::printf("input: batch %d (CFG), latent %dx%d -> %d tokens, prompt %d tokens\n", B, H, W,
                (H / c.patch_size) * (W / c.patch_size), L);
    std::printf("outputs: Q8_0 int8 vs f32 relative RMS %.2e; Q8_0 dequantized vs f32 %.2e\n",
                relative_rms(out_int8, out_f32), relative_rms(out_deq, out_f32));
    std::printf("our f32 forward (median of %d): %.3f s\n", runs, t_f32);
    std::printf("Q8_0 dequantized into sgemm (median of %d): %.3f s (%.2fx of f32)\n", runs, t_deq, t_f32 / t_deq);
    if (torch) std::printf("pytorch %s eager f32 forward (median of %d): %.3f s\n", torch_version.c_str(), runs, t_torch);
    std::printf("peak RSS (both models mmapped): %.1f MiB\n", rss);
    if (torch) std::printf("Q8_0 int8 vs PyTorch f32: %.2fx\n", t_torch / t_int8);
    std::printf("Q8_0 int8 (median of %d): %.3f s; speedup vs our f32: %.2fx\n", runs, t_int8, t_f32 / t_int8);
    return 0;
}
