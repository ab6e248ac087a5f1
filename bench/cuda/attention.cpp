// The CUDA attention kernel at PixArt's shapes against PyTorch's scaled_dot_product_attention on
// the same GPU in one run: self-attention at 1024 px (4096 tokens) and 512 px (1024 tokens) and
// cross-attention to 120 prompt tokens, batch 2 x 16 heads x 72. Reports TFLOP/s (4·B·H·Lq·Lk·D
// per call) and the fraction of the bf16 dense peak given by --peak (TFLOP/s; 989 for an H100
// SXM). Ours reads and writes f32; PyTorch is timed in bf16 (its fast path, the peer) and
// in f32. Median of --runs, timed with events on each side's stream after a warm-up. The last line: the speedup
// against bf16 SDPA at 4096 tokens.
//
// Usage: bench_attention_cuda [--runs N] [--peak TFLOPS]
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "bench/bench_peer.h"
#include "kernels/cuda/cuda.h"

using dit::bench::field;
using dit::bench::run;

int main(int argc, char** argv) {
    int runs = 20;
    double peak = 989.0;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        if (a == "--runs") runs = std::atoi(argv[i + 1]);
        else if (a == "--peak") peak = std::atof(argv[i + 1]);
    }
    namespace cuda = dit::kernels::cuda;
    if (const std::string why = cuda::unavailable_reason(); !why.empty()) {
        std::printf("SKIP: %s\n", why.c_str());
        return 77;
    }
    auto& gpu = cuda::backend();
    const std::string py = dit::bench::python() + " " DIT_SOURCE_DIR "/tools/reference/bench_pixart_torch.py attention";
    struct Case {
        const char* name;
        int64_t lq, lk;
    };
    const int64_t B = 2, H = 16, D = 72;
    double first_ratio = 0;
    std::printf("%-22s %9s %9s %9s %8s %8s %8s\n", "case", "ours ms", "bf16 ms", "f32 ms", "our TF/s", "of peak",
                "vs bf16");
    for (const Case& c : {Case{"self 4096 tokens", 4096, 4096}, Case{"self 1024 tokens", 1024, 1024},
                          Case{"cross 4096 x 120", 4096, 120}}) {
        std::mt19937 rng(1);
        std::normal_distribution<float> n(0.f, 1.f);
        std::vector<float> q(size_t(B * c.lq * H * D)), kv(size_t(B * c.lk * H * D));
        for (float& x : q) x = n(rng);
        for (float& x : kv) x = n(rng);
        auto upload = [&](const std::vector<float>& h) {
            auto* p = static_cast<float*>(gpu.allocate(h.size() * 4));
            gpu.upload(p, h.data(), h.size() * 4);
            return p;
        };
        float *dq = upload(q), *dk = upload(kv), *dv = upload(kv), *dout = upload(q);
        dit::kernels::AttentionArgs a;
        a.q = dq, a.k = dk, a.v = dv, a.out = dout;
        a.B = B, a.H = H, a.D = D, a.Lq = c.lq, a.Lk = c.lk;
        a.ldq = a.ldk = a.ldv = a.ldo = H * D;
        a.scale = 1.0f / std::sqrt(float(D));
        for (int i = 0; i < 3; ++i) gpu.attention(a);
        gpu.synchronize();
        cudaEvent_t e0, e1;
        cudaEventCreate(&e0);
        cudaEventCreate(&e1);
        const auto stream = static_cast<cudaStream_t>(gpu.stream());
        std::vector<double> times;
        for (int r = 0; r < runs; ++r) {
            cudaEventRecord(e0, stream);
            gpu.attention(a);
            cudaEventRecord(e1, stream);
            cudaEventSynchronize(e1);
            float ms = 0;
            cudaEventElapsedTime(&ms, e0, e1);
            times.push_back(ms / 1000.0);
        }
        std::sort(times.begin(), times.end());
        const double ours = times[times.size() / 2];
        cudaEventDestroy(e0);
        cudaEventDestroy(e1);
        for (float* p : {dq, dk, dv, dout}) gpu.release(p);
        const std::string shape = " --batch 2 --heads 16 --dim 72 --lq " + std::to_string(c.lq) + " --lk " +
                                  std::to_string(c.lk) + " --runs " + std::to_string(runs);
        const double bf16 = std::stod(field(run(py + shape), "torch_median_s"));
        const double f32 = std::stod(field(run(py + shape + " --f32"), "torch_median_s"));
        const double tflops = 4.0 * B * H * c.lq * c.lk * D / ours / 1e12;
        std::printf("%-22s %9.3f %9.3f %9.3f %8.1f %7.1f%% %7.2fx\n", c.name, ours * 1e3, bf16 * 1e3, f32 * 1e3, tflops,
                    100.0 * tflops / peak, bf16 / ours);
        if (first_ratio == 0) first_ratio = bf16 / ours;
    }
    const auto d = cuda::device_info();
    std::printf("machine: %s (sm_%d%d, %d SMs), peak taken as %.0f TFLOP/s bf16 dense\n", d.name.c_str(), d.major,
                d.minor, d.multiprocessors, peak);
    std::printf("speedup vs PyTorch bf16 SDPA, self-attention at 4096 tokens: %.2fx\n", first_ratio);
    return 0;
}
