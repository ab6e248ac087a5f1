// GRAT's grouped sparse attention against full attention, both on the fast CPU backend in the
// same run: time and the output's relative error ‖grat − full‖ / ‖full‖, on token grids of 64²,
// 128² and 256² (4k, 16k, 64k tokens) with PixArt's heads (16 x 72), batch 1.
//
// Inputs. Random q and k make every key about equally likely, so any sparse pattern loses most of
// the mass; a DiT's learned maps are local instead (GRAT's premise, and what its authors measure
// on Flux). The bench builds that locality in a stated way: per head, q and k of a token are
// random Fourier features of its (y, x) position with length scale `--scale` tokens (so q·k ≈
// β·exp(−|Δp|² / 2ℓ²), β = `--beta`) plus Gaussian content noise of the same size, and v is
// N(0, 1). `--scale 0` gives plain random q, k (no locality: the worst case, printed as such).
// The error on a trained model's own activations is in bench_grat_forward's part of
// docs/benchmarks.md, which runs the default model.
//
// Full attention at 256² would take many minutes on two cores, so it runs there on every 64th
// query (rows strided through the same buffers: the same keys, the same per-query cost) and its
// time is scaled by 64; both the error and the ratio use those rows.
//
// "dropped" is the share of full attention's softmax weight that falls on keys the grouping
// skips, averaged over 64 sampled queries and all heads: the error follows it, so it says how
// local a model's maps must be for a given error.
//
// Usage: bench_grat_attention [--grids 64,128,256] [--groups 8,16] [--radius 1] [--no-band]
//                             [--scale 4] [--beta 12] [--runs 3]
// The last line is the figure: speed-up and error at 16k tokens (128²) with the first group size.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "bench/bench_machine.h"
#include "kernels/cpu/grat_attention.h"
#include "kernels/cpu/ops.h"

namespace {

using dit::kernels::AttentionArgs;
using dit::kernels::GratAttentionArgs;

constexpr int64_t H = 16, D = 72;

std::vector<int64_t> ints(const std::string& csv) {
    std::vector<int64_t> out;
    std::stringstream s(csv);
    for (std::string item; std::getline(s, item, ',');) out.push_back(std::stoll(item));
    return out;
}

std::string loadavg() {
    std::ifstream f("/proc/loadavg");
    std::string a, b, c;
    f >> a >> b >> c;
    return a + " " + b + " " + c;
}

// q, k, v: [n*n, H*D], locality as the header says.
struct Inputs {
    std::vector<float> q, k, v;
    Inputs(int64_t n, double scale, double beta, uint32_t seed) {
        const int64_t L = n * n;
        q.resize(size_t(L * H * D)), k.resize(q.size()), v.resize(q.size());
        std::mt19937 rng(seed);
        std::normal_distribution<double> normal(0.0, 1.0);
        std::uniform_real_distribution<double> phase(0.0, 2.0 * M_PI);
        for (float& x : v) x = float(normal(rng));
        if (scale <= 0) {
            for (size_t i = 0; i < q.size(); ++i) q[i] = float(normal(rng)), k[i] = float(normal(rng));
            return;
        }
        // Feature d of head h: cos(ω·p + φ) with ω ~ N(0, I/ℓ²); the mean over D features of
        // 2 cos(ω·p + φ) cos(ω·p' + φ) approximates exp(−|p − p'|² / 2ℓ²). Scaled so that
        // q·k / sqrt(D) ≈ β times that, and noise of the same size per element.
        const double amp = std::sqrt(2.0 * beta * std::sqrt(double(D)) / D), noise = amp / std::sqrt(2.0);
        for (int64_t h = 0; h < H; ++h)
            for (int64_t d = 0; d < D; ++d) {
                const double wy = normal(rng) / scale, wx = normal(rng) / scale, ph = phase(rng);
                for (int64_t t = 0; t < L; ++t) {
                    const double f = amp * std::cos(wy * double(t / n) + wx * double(t % n) + ph);
                    q[size_t(t * H * D + h * D + d)] = float(f + noise * normal(rng));
                    k[size_t(t * H * D + h * D + d)] = float(f + noise * normal(rng));
                }
            }
    }
};

// Full attention's softmax weight on the keys `g` skips, mean over 64 queries spread over the
// grid and all heads (double sums; a few ms).
double dropped_mass(const Inputs& in, const GratAttentionArgs& g) {
    const int64_t n = g.grid_w, L = g.grid_h * g.grid_w, G = g.group;
    double total = 0;
    int count = 0;
    for (int64_t s = 0; s < 64; ++s) {
        const int64_t i = (s * 7919) % L;  // a prime stride: rows and columns both vary
        const int64_t qy = i / n / G, qx = i % n / G;
        for (int64_t h = 0; h < H; ++h) {
            std::vector<double> sc(static_cast<size_t>(L));
            double mx = -INFINITY;
            for (int64_t j = 0; j < L; ++j) {
                double dot = 0;
                for (int64_t d = 0; d < D; ++d) dot += double(in.q[size_t(i * H * D + h * D + d)]) * in.k[size_t(j * H * D + h * D + d)];
                sc[size_t(j)] = dot * g.scale;
                mx = std::max(mx, sc[size_t(j)]);
            }
            double all = 0, off = 0;
            for (int64_t j = 0; j < L; ++j) {
                const double w = std::exp(sc[size_t(j)] - mx);
                all += w;
                if (!dit::kernels::grat::sees(g, qy, qx, j / n / G, j % n / G)) off += w;
            }
            total += off / all;
            ++count;
        }
    }
    return total / count;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<int64_t> grids{64, 128, 256}, groups{8, 16};
    int64_t radius = 1;
    bool band = true;
    double scale = 4.0, beta = 12.0;
    int runs = 3;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "%s needs a value\n", a.c_str());
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--grids") grids = ints(next());
        else if (a == "--groups") groups = ints(next());
        else if (a == "--radius") radius = std::stoll(next());
        else if (a == "--no-band") band = false;
        else if (a == "--scale") scale = std::stod(next());
        else if (a == "--beta") beta = std::stod(next());
        else if (a == "--runs") runs = std::stoi(next());
        else {
            std::fprintf(stderr, "unknown option %s (see the header of bench/grat_attention.cpp)\n", a.c_str());
            return 2;
        }
    }
    std::printf("machine: %s (%s), %d OpenMP threads, load average %s\n", dit::bench::cpu_model().c_str(),
                dit::bench::cpu_flags().c_str(), omp_get_max_threads(), loadavg().c_str());
    std::printf("heads %lld x %lld, batch 1; inputs: %s; GRAT radius %lld%s\n", (long long)H, (long long)D,
                scale > 0 ? ("local, length scale " + std::to_string(scale) + " tokens, beta " + std::to_string(beta)).c_str()
                          : "plain random q, k (no locality: worst case)",
                (long long)radius, band ? " + criss-cross band" : "");
    std::printf("%8s %6s %6s %9s %11s %11s %9s %10s %9s\n", "tokens", "grid", "group", "density", "full s", "grat s",
                "speed-up", "rel err", "dropped");
    dit::kernels::Backend& ops = dit::kernels::fast();
    double figure_speedup = 0, figure_err = 0;
    for (int64_t n : grids) {
        const int64_t L = n * n, stride = n >= 256 ? 64 : 1, Lq = L / stride;
        const Inputs in(n, scale, beta, uint32_t(n));
        // Full attention on every `stride`-th query (rows strided through the same buffers).
        std::vector<float> full(size_t(Lq * H * D));
        AttentionArgs f;
        f.q = in.q.data(), f.k = in.k.data(), f.v = in.v.data(), f.out = full.data();
        f.B = 1, f.Lq = Lq, f.Lk = L, f.H = H, f.D = D;
        f.ldq = stride * H * D, f.ldk = f.ldv = H * D, f.ldo = H * D;
        f.scale = 1.0f / std::sqrt(float(D));
        const int full_runs = L >= 16384 ? 1 : runs;
        const double t_full = dit::bench::median_seconds(full_runs, [&] { ops.attention(f); }) * stride;
        for (int64_t G : groups) {
            if (n % G != 0) continue;
            std::vector<float> out(in.q.size());
            GratAttentionArgs g;
            g.q = in.q.data(), g.k = in.k.data(), g.v = in.v.data(), g.out = out.data();
            g.B = 1, g.H = H, g.D = D, g.grid_h = g.grid_w = n, g.group = G, g.radius = radius, g.criss_cross = band;
            g.ldq = g.ldk = g.ldv = g.ldo = H * D;
            g.scale = f.scale;
            const double t_grat = dit::bench::median_seconds(L >= 65536 ? 1 : runs, [&] { ops.grat_attention(g); });
            double diff = 0, norm = 0;
            for (int64_t i = 0; i < Lq; ++i)
                for (int64_t c = 0; c < H * D; ++c) {
                    const double w = full[size_t(i * H * D + c)], d = out[size_t(i * stride * H * D + c)] - w;
                    diff += d * d, norm += w * w;
                }
            const double err = std::sqrt(diff / norm), speedup = t_full / t_grat;
            std::printf("%8lld %4lld^2 %6lld %8.1f%% %10.3f%s %11.3f %8.2fx %9.3f%% %8.2f%%\n", (long long)L,
                        (long long)n, (long long)G, 100.0 * dit::kernels::grat::density(g), t_full,
                        stride > 1 ? "*" : " ", t_grat, speedup, 100.0 * err, 100.0 * dropped_mass(in, g));
            std::fflush(stdout);
            if (n == 128 && G == groups.front()) figure_speedup = speedup, figure_err = err;
        }
    }
    std::printf("(* full attention timed on every 64th query and scaled by 64; the error uses those rows)\n");
    std::printf("load average after: %s\n", loadavg().c_str());
    std::printf("figure: GRAT (group %lld, radius %lld%s) at 16k tokens: %.2fx full attention, relative error %.3f%%\n",
                (long long)groups.front(), (long long)radius, band ? ", band" : "", figure_speedup, 100.0 * figure_err);
    return 0;
}
