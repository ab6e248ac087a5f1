// End to end on the GPU against PyTorch on the same GPU, weights, tokens and noise, in one run:
// a PixArt-α-LCM-sized pipeline with random bf16 weights (T5-XXL, the 28-block transformer, the SD
// VAE; tools/reference/bench_pipeline_torch.py makes it), 1024 px, 4 LCM steps without guidance
// as PIXART-δ runs them, VAE decode included. Timed from request to image, host to host: median of
// --runs after a warm-up that loads and uploads. The goal is <= 0.25 s on an H100.
//
// First, before anything else has touched the device, the low-VRAM mode (T5 keeps one block's
// matrices at a time): its peak device memory, sampled every millisecond from cudaMemGetInfo, so
// it is everything the process holds there, the CUDA context included (goal <= 8 GB).
//
// PyTorch runs tools/reference/pipeline.py's PixArtPipeline in bf16 with
// scaled_dot_product_attention in the transformer and the VAE; its peak is
// torch.cuda.max_memory_allocated (tensors only, no context), with every model on the GPU.
// The last line is the figure: our end-to-end time and the speedup.
//
// --backend cpu --scale tiny --size 256 runs the same comparison on a CPU (PyTorch in f32), to
// check the benchmark itself where there is no GPU.
//
// Usage: bench_pipeline_cuda [--runs N] [--size PX] [--steps N] [--scale full|tiny] [--layers N]
//                            [--backend cuda|cpu] [--keep DIR]
// --keep DIR makes the random pipeline there once and reuses it (T5-XXL is 9.5 GB).
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_machine.h"
#include "bench/bench_peer.h"
#include "engine/io/npy.h"
#include "engine/io/safetensors.h"
#include "engine/models/t5/t5_tokenizer.h"
#include "engine/pipeline/engine.h"
#include "kernels/cuda/cuda.h"

namespace fs = std::filesystem;
using dit::bench::field;
using dit::bench::run;

namespace {

const char* kPrompt = "a red circle at the top left and a blue square at the bottom right";

// One generation's times from its progress reports: the prompt (the first step's report less one
// step), a step (the mean of the later ones) and the decode (after the last step's report).
struct Timing {
    double total = 0, prompt = 0, step = 0, decode = 0;
};

struct Generation {
    dit::Image image;
    Timing time;
};

Generation generate(dit::Engine& engine, const dit::Request& req) {
    std::vector<double> at;
    dit::Callbacks cb;
    cb.progress = [&](const dit::Progress& p) { at.push_back(p.seconds); };
    const auto t0 = std::chrono::steady_clock::now();
    dit::Result r = engine.generate(req, cb);
    Generation g{std::move(r.image), {}};
    g.time.total = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!r.notice.empty()) throw std::runtime_error("the benchmark did not run where it was asked: " + r.notice);
    const size_t n = at.size();
    g.time.step = n > 1 ? (at[n - 1] - at[0]) / double(n - 1) : (n ? at[0] : 0);
    g.time.prompt = n ? std::max(0.0, at[0] - g.time.step) : 0;
    g.time.decode = n ? g.time.total - at[n - 1] : 0;
    return g;
}

// The most device memory in use while `work` runs, sampled every millisecond.
template <class Work>
size_t peak_device_bytes(dit::kernels::cuda::CudaBackend& gpu, Work&& work) {
    std::atomic<bool> done{false};
    std::atomic<size_t> peak{gpu.device_bytes_in_use()};
    std::thread sampler([&] {
        while (!done) {
            peak = std::max(peak.load(), gpu.device_bytes_in_use());
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
    });
    try {
        work();
    } catch (...) {
        done = true;
        sampler.join();
        throw;
    }
    done = true;
    sampler.join();
    return std::max(peak.load(), gpu.device_bytes_in_use());
}

double gib(size_t bytes) { return double(bytes) / double(1ull << 30); }

}  // namespace

int main(int argc, char** argv) try {
    int runs = 5, size = 1024, steps = 4, layers = 0;
    std::string keep, scale = "full", backend = "cuda";
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        if (a == "--runs") runs = std::atoi(argv[i + 1]);
        else if (a == "--size") size = std::atoi(argv[i + 1]);
        else if (a == "--steps") steps = std::atoi(argv[i + 1]);
        else if (a == "--layers") layers = std::atoi(argv[i + 1]);
        else if (a == "--scale") scale = argv[i + 1];
        else if (a == "--backend") backend = argv[i + 1];
        else if (a == "--keep") keep = argv[i + 1];
    }
    const bool on_gpu = backend == "cuda";
    if (const std::string why = dit::kernels::cuda::unavailable_reason(); on_gpu && !why.empty()) {
        std::printf("SKIP: %s\n", why.c_str());
        return 77;
    }
    const fs::path dir = keep.empty() ? fs::temp_directory_path() / ("dit-bench-pipeline-" + std::to_string(getpid()))
                                      : fs::path(keep);
    const std::string py = dit::bench::python() + " " DIT_SOURCE_DIR "/tools/reference/bench_pipeline_torch.py";
    const std::string torch_device = on_gpu ? "cuda" : "cpu";
    fs::create_directories(dir);
    if (!fs::exists(dir / "complete")) {  // none yet, or one a timeout cut short (--keep): every file is rewritten
        run(py + " make " + dir.string() + " --scale " + scale + " --layers " + std::to_string(layers) + " --size " +
            std::to_string(size) + " --device " + torch_device);
    }

    // The same prompt tokens and starting noise on both sides.
    const auto tokens = dit::T5Tokenizer::load(dir / "tokenizer").encode(kPrompt, 120);
    dit::Tensor ids({120}), mask({120});
    for (int i = 0; i < 120; ++i) ids[i] = float(tokens.ids[size_t(i)]), mask[i] = float(tokens.mask[size_t(i)]);
    dit::Tensor noise({1, 4, size / 8, size / 8});
    std::mt19937 rng(7);
    std::normal_distribution<float> normal(0.f, 1.f);
    for (int64_t i = 0; i < noise.numel(); ++i) noise[i] = normal(rng);
    dit::write_npy(dir / "noise.npy", noise);
    dit::save_safetensors(dir / "inputs.safetensors", {{"tokens", ids}, {"token_mask", mask}, {"noise", noise}});

    dit::Request req;
    req.model_dir = dir;
    req.prompt = kPrompt;
    req.width = req.height = size;
    req.steps = steps;
    req.sampler = "lcm";
    req.cfg = 0.0f;  // PixArt-LCM runs unguided: one branch
    req.seed = 0;
    req.noise_file = dir / "noise.npy";
    req.backend = backend;
    auto engine = std::make_unique<dit::Engine>();

    size_t context = 0, low_vram_peak = 0;
    Timing low_vram;
    if (on_gpu) {
        auto& gpu = dit::kernels::cuda::backend();
        context = gpu.device_bytes_in_use();
        dit::Request lean = req;
        lean.low_vram = true;
        low_vram_peak = peak_device_bytes(gpu, [&] {
            generate(*engine, lean);  // cold: loads and uploads
            low_vram = generate(*engine, lean).time;
        });
        gpu.drop_cached_weights();  // the normal runs start from an empty weight cache too
    }

    generate(*engine, req);  // warm-up: uploads every matrix
    std::vector<Generation> timed;
    for (int r = 0; r < runs; ++r) timed.push_back(generate(*engine, req));
    std::sort(timed.begin(), timed.end(), [](auto& a, auto& b) { return a.time.total < b.time.total; });
    const Timing t = timed[timed.size() / 2].time;
    const dit::Image image = timed.front().image;
    engine.reset();  // PyTorch gets the device to itself
    if (on_gpu) dit::kernels::cuda::backend().drop_cached_weights();

    const std::string torch = run(py + " time " + dir.string() + " --inputs " + (dir / "inputs.safetensors").string() +
                                  " --size " + std::to_string(size) + " --steps " + std::to_string(steps) +
                                  " --seed 0 --runs " + std::to_string(runs) + " --device " + torch_device +
                                  (on_gpu ? " --bf16 --sdpa" : ""));
    const double theirs = std::stod(field(torch, "torch_median_s"));
    double tp = 0, ts = 0, td = 0;
    std::sscanf(field(torch, "torch_stages_s").c_str(), "%lf %lf %lf", &tp, &ts, &td);
    const dit::Image ref = dit::image_from_tensor(dit::read_npy(dir / "torch_image.npy"));
    const double agreement = dit::psnr(image, ref);
    if (keep.empty()) fs::remove_all(dir);

    if (on_gpu) {
        const auto d = dit::kernels::cuda::device_info();
        std::printf("machine: %s (sm_%d%d, %d SMs, %.1f GiB)\n", d.name.c_str(), d.major, d.minor, d.multiprocessors,
                    gib(d.memory_bytes));
    } else {
        std::printf("machine: %s, backend %s (a check of the benchmark, not a GPU figure)\n",
                    dit::bench::cpu_model().c_str(), backend.c_str());
    }
    std::printf("pipeline: %s scale, %d px, %d LCM steps, no guidance, random bf16 weights; PyTorch %s%s\n",
                scale.c_str(), size, steps, field(torch, "torch_version").c_str(),
                on_gpu ? " in bf16 with SDPA" : " in f32");
    std::printf("%-10s %10s %10s %10s %10s\n", "", "total s", "prompt s", "step s", "decode s");
    std::printf("%-10s %10.4f %10.4f %10.4f %10.4f\n", "ours", t.total, t.prompt, t.step, t.decode);
    std::printf("%-10s %10.4f %10.4f %10.4f %10.4f\n", "pytorch", theirs, tp, ts, td);
    if (on_gpu) {
        std::printf("%-10s %10.4f %10.4f %10.4f %10.4f\n", "low-VRAM", low_vram.total, low_vram.prompt, low_vram.step,
                    low_vram.decode);
        std::printf("low-VRAM peak device memory: %.2f GiB (%.2f GiB of it in use before the engine started: the "
                    "CUDA context); PyTorch with every model on the GPU: %.2f GiB of tensors\n",
                    gib(low_vram_peak), gib(context), gib(std::stoull(field(torch, "torch_peak_bytes"))));
    }
    std::printf("images agree to %.1f dB PSNR (%s)\n", agreement,
                on_gpu ? "bf16 on both sides, in different orders" : "f32 on both sides");
    std::printf("end to end %d px, %d LCM steps, VAE decode included: %.3f s, %.2fx vs PyTorch\n", size, steps, t.total,
                theirs / t.total);
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "bench_pipeline_cuda: %s\n", e.what());
    return 1;
}
