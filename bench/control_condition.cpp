// EasyControl's cached condition, measured: what one denoising step with a control costs when the
// condition (VAE encode of the control map + the base's patch embedding + before_proj) is
// recomputed every step, against a step that reuses the cached condition, on the same model,
// machine and run.
//
// Model: the embedded default model's transformer and VAE (or --model DIR), with a random
// ControlNet-Transformer adapter of --blocks blocks written to a temporary folder (speed does not
// depend on the weights). Batch 2 as under classifier-free guidance, a --size px map, 120 prompt
// tokens. Per request the cache turns the condition into a lookup (content hash + compare); per
// step the uncached path would add the whole condition. Median of --runs. The last line is the
// figure: uncached step time / cached step time.
//
// Usage: bench_control_condition [--model DIR] [--size PX] [--blocks N] [--runs N]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <unistd.h>

#include "engine/io/safetensors.h"
#include "engine/models/autoencoder_kl/autoencoder_kl.h"
#include "engine/models/pixart/pixart_controlnet.h"
#include "engine/models/pixart/pixart_transformer.h"
#include "engine/pipeline/controls.h"
#include "kernels/cpu/ops.h"
#include "bench/bench_machine.h"

using dit::bench::median_seconds;

namespace fs = std::filesystem;
using namespace dit;

namespace {

using dit::bench::cpu_model;

Tensor random_tensor(const Shape& s, std::mt19937& rng, float scale) {
    std::normal_distribution<float> n(0.0f, scale);
    Tensor t(s);
    for (int64_t i = 0; i < t.numel(); ++i) t[i] = n(rng);
    return t;
}

// A random adapter for `base` with `blocks` control blocks (PixArt-δ layout).
fs::path write_adapter(const fs::path& dir, const PixArtConfig& base, int blocks, std::mt19937& rng) {
    fs::create_directories(dir);
    std::ofstream(dir / "config.json") << "{\"_class_name\": \"PixArtControlNetAdapterModel\", \"num_layers\": "
                                       << blocks << "}\n";
    const int64_t D = base.hidden();
    const float s = 1.0f / std::sqrt(float(D));
    std::map<std::string, Tensor> w;
    auto linear = [&](const std::string& p, int64_t in, int64_t out) {
        w[p + ".weight"] = random_tensor({out, in}, rng, s);
        w[p + ".bias"] = random_tensor({out}, rng, 0.01f);
    };
    linear("controlnet_blocks.0.before_proj", D, D);
    for (int j = 0; j < blocks; ++j) {
        const std::string p = "controlnet_blocks." + std::to_string(j);
        w[p + ".transformer_block.scale_shift_table"] = random_tensor({6, D}, rng, 0.1f);
        for (const char* a : {".transformer_block.attn1", ".transformer_block.attn2"}) {
            for (const char* l : {".to_q", ".to_k", ".to_v", ".to_out.0"}) linear(p + a + l, D, D);
        }
        linear(p + ".transformer_block.ff.net.0.proj", D, 4 * D);
        linear(p + ".transformer_block.ff.net.2", 4 * D, D);
        linear(p + ".after_proj", D, D);
    }
    save_safetensors(dir / "diffusion_pytorch_model.safetensors", w);
    return dir;
}

}  // namespace

int main(int argc, char** argv) {
    fs::path model = fs::path(DIT_SOURCE_DIR) / "resources" / "models" / "default";
    int size = 256, blocks = 3, runs = 5;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        if (a == "--model") model = argv[i + 1];
        else if (a == "--size") size = std::stoi(argv[i + 1]);
        else if (a == "--blocks") blocks = std::stoi(argv[i + 1]);
        else if (a == "--runs") runs = std::stoi(argv[i + 1]);
        else {
            std::fprintf(stderr, "usage: bench_control_condition [--model DIR] [--size PX] [--blocks N] [--runs N]\n");
            return 2;
        }
    }
    kernels::Backend& ops = kernels::fast();
    auto base = PixArtTransformer2DModel::load(model / "transformer");
    auto vae = AutoencoderKL::load(model / "vae");
    const PixArtConfig& bc = base->config();
    std::mt19937 rng(7);
    const fs::path tmp = fs::temp_directory_path() / ("bench_control_" + std::to_string(::getpid()));
    const fs::path adapter_dir = write_adapter(tmp / "adapter", bc, blocks, rng);
    auto adapter = std::shared_ptr<const PixArtControlNetAdapter>(PixArtControlNetAdapter::load(adapter_dir, bc));

    const int B = 2, L = 120, down = vae->config().downscale(), h = size / down;
    const Tensor embeds = random_tensor({B, L, bc.caption_channels}, rng, 1.0f);
    const auto prompt = base->encode_prompt(embeds, std::vector<int32_t>(B * L, 1), ops);
    const Tensor latent = random_tensor({B, bc.in_channels, h, h}, rng, 1.0f);
    Image map;
    map.width = map.height = size;
    map.rgb.resize(size_t(size) * size * 3);
    for (size_t i = 0; i < map.rgb.size(); ++i) map.rgb[i] = (i / 3 % 7 == 0) ? 255 : 0;

    // The condition as the pipeline makes it on a cache miss.
    auto condition = [&] { return adapter->condition(*base, vae->encode(tensor_from_image(map), ops), ops); };
    Tensor cond = condition();
    ControlInput settings;
    settings.type = "edges";
    auto set = ControlSet::create(*base, embeds, prompt);
    set->add(settings, adapter, cond, ops);
    ForwardExtras extras;
    set->install(extras, 0, 1, ops);
    auto step = [&] { base->forward(latent, {500.0f, 500.0f}, prompt, size, size, ops, nullptr, &extras); };
    step();  // warm-up

    // The lookup a cached request pays: the content hash and the full compare.
    std::vector<uint8_t> copy = map.rgb;
    volatile uint64_t sink = 0;
    auto lookup = [&] {
        uint64_t hsh = 1469598103934665603ull;
        for (uint8_t b : map.rgb) hsh = (hsh ^ b) * 1099511628211ull;
        sink = hsh + (std::memcmp(copy.data(), map.rgb.data(), copy.size()) == 0);
    };
    const double t_cond = median_seconds(runs, [&] { cond = condition(); });
    const double t_lookup = median_seconds(runs, lookup);
    const double t_step = median_seconds(runs, step);
    const double uncached = t_step + t_cond, cached = t_step + t_lookup;

    std::printf("machine: %s, %u threads\n", cpu_model().c_str(), std::thread::hardware_concurrency());
    std::printf("model: %s: %d blocks, hidden %d; adapter: %d control blocks (random weights)\n",
                model.string().c_str(), bc.num_layers, bc.hidden(), blocks);
    std::printf("input: batch %d (CFG), %d px map -> latent %dx%d -> %d tokens, prompt %d tokens\n", B, size, h, h,
                (h / bc.patch_size) * (h / bc.patch_size), L);
    std::printf("condition (VAE encode + patch embed + before_proj), median of %d: %.4f s\n", runs, t_cond);
    std::printf("cached condition lookup (hash + compare), median of %d: %.6f s\n", runs, t_lookup);
    std::printf("controlled forward step, median of %d: %.4f s\n", runs, t_step);
    std::printf("step with the condition recomputed: %.4f s; with it cached: %.4f s; saving %.4f s per step\n",
                uncached, cached, uncached - cached);
    fs::remove_all(tmp);
    std::printf("cached condition speed-up per step: %.2fx\n", uncached / cached);
    return 0;
}
