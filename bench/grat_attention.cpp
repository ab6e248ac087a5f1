// GRAT's grouped sparse attention against full attention, both on the fast CPU backend in the
// same run: time and the output's relative error ‖grat − full‖ / ‖full‖, on token grids of 64²,
// 128² and 256² (4k, 16k, 64k tokens) with PixArt's heads (16 x 72), batch 1.
//
// Inputs. Random q and k make every key about equally likely, so any sparse pattern loses most of
// the mass; a DiT's learned maps are local instead (GRAT's premise). The bench builds locality in
// an exact, stated way: 4 of each head's 72 channels carry the token's (y, x) position so that
// q_i·k_j / sqrt(D) = −|p_i − p_j|² / 2ℓ² exactly (q = c[2y, 2x, −|p|², −1], k = [y, x, 1, |p|²]),
// i.e. a Gaussian fall-off of the weights with distance, length scale ℓ tokens; the other 68
// channels are N(0, 1) content (scores varying by ~1 around that), and v is N(0, 1). The error is
// printed for each ℓ of --scales (and "random" for ℓ = 0: no locality, the worst case). How local
// a trained model's maps are at these sizes is the open question; "dropped" below answers how
// local they must be for a given error. bench_grat_forward measures a trained model's forward.
//
// "dropped" is the share of full attention's softmax weight that falls on keys the grouping
// skips, averaged over 64 sampled queries and all heads.
//
// Full attention at 128² and 256² runs on every 4th / 64th query (rows strided through the same
// buffers: the same keys, the same per-query cost); its time is scaled by 4 / 64 (marked *) and
// the error uses those rows. Times are medians of --runs, taken with the first ℓ only (the cost
// does not depend on the values).
//
// Usage: bench_grat_attention [--grids 64,128,256] [--groups 8,16] [--radius 1] [--no-band]
//                             [--scales 2,4,8,0] [--runs 3]
// The last line is the figure: speed-up and error at 16k tokens (128²), first group and ℓ.
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

std::vector<double> numbers(const std::string& csv) {
    std::vector<double> out;
    std::stringstream s(csv);
    for (std::string item; std::getline(s, item, ',');) out.push_back(std::stod(item));
    return out;
}

std::string loadavg() {
    std::ifstream f("/proc/loadavg");
    std::string a, b, c;
    f >> a >> b >> c;
    return a + " " + b + " " + c;
}

// q, k, v: [n*n, H*D], locality as the header says (scale 0: all random).
struct Inputs {
    std::vector<float> q, k, v;
    Inputs(int64_t n, double scale, uint32_t seed) {
        const int64_t L = n * n;
        q.resize(size_t(L * H * D)), k.resize(q.size()), v.resize(q.size());
        std::mt19937 rng(seed);
        std::normal_distribution<float> normal(0.f, 1.f);
        for (size_t i = 0; i < q.size(); ++i) q[i] = normal(rng), k[i] = normal(rng), v[i] = normal(rng);
        if (scale <= 0) return;
        const double c = std::sqrt(double(D)) / (2 * scale * scale), mid = 0.5 * double(n - 1);
        for (int64_t t = 0; t < L; ++t) {
            const double y = double(t / n) - mid, x = double(t % n) - mid, p2 = y * y + x * x;  // centred: smaller |p|²
            const double qp[4] = {2 * c * y, 2 * c * x, -c * p2, -c}, kp[4] = {y, x, 1.0, p2};
            for (int64_t h = 0; h < H; ++h)
                for (int e = 0; e < 4; ++e) {
                    q[size_t(t * H * D + h * D + D - 4 + e)] = float(qp[e]);
                    k[size_t(t * H * D + h * D + D - 4 + e)] = float(kp[e]);
                }
        }
        // The content channels: N(0, 1) each, so their part of q·k/sqrt(D) has std sqrt(68/72).
    }
};

// Full attention's softmax weight on the keys `g` skips, mean over 64 queries spread over the
// grid and all heads (double sums).
double dropped_mass(const Inputs& in, const GratAttentionArgs& g) {
    const int64_t n = g.grid_w, L = g.grid_h * g.grid_w, G = g.group;
    std::vector<double> sc(static_cast<size_t>(L));
    double total = 0;
    int count = 0;
    for (int64_t s = 0; s < 64; ++s) {
        const int64_t i = (s * 7919) % L;  // a prime stride: rows and columns both vary
        const int64_t qy = i / n / G, qx = i % n / G;
        for (int64_t h = 0; h < H; ++h) {
            double mx = -INFINITY;
            for (int64_t j = 0; j < L; ++j) {
                double dot = 0;
                for (int64_t d = 0; d < D; ++d)
                    dot += double(in.q[size_t(i * H * D + h * D + d)]) * in.k[size_t(j * H * D + h * D + d)];
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
    std::vector<double> grids{64, 128, 256}, groups{8, 16}, scales{2, 4, 8, 0};
    int64_t radius = 1;
    bool band = true;
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
        if (a == "--grids") grids = numbers(next());
        else if (a == "--groups") groups = numbers(next());
        else if (a == "--radius") radius = std::stoll(next());
        else if (a == "--no-band") band = false;
        else if (a == "--scales") scales = numbers(next());
        else if (a == "--runs") runs = std::stoi(next());
        else {
            std::fprintf(stderr, "unknown option %s (see the header of bench/grat_attention.cpp)\n", a.c_str());
            return 2;
        }
    }
    std::printf("machine: %s (%s), %d OpenMP threads, load average %s\n", dit::bench::cpu_model().c_str(),
                dit::bench::cpu_flags().c_str(), omp_get_max_threads(), loadavg().c_str());
    std::printf("heads %lld x %lld, batch 1; GRAT radius %lld%s; l: Gaussian length scale in tokens (0: random q, k)\n",
                (long long)H, (long long)D, (long long)radius, band ? " + criss-cross band" : "");
    std::printf("%8s %6s %6s %9s %11s %11s %9s %5s %10s %9s\n", "tokens", "grid", "group", "density", "full s",
                "grat s", "speed-up", "l", "rel err", "dropped");
    dit::kernels::Backend& ops = dit::kernels::fast();
    double figure_speedup = 0, figure_err = 0;
    for (double grid : grids) {
        const int64_t n = int64_t(grid), L = n * n, stride = n >= 256 ? 64 : (n >= 128 ? 4 : 1), Lq = L / stride;
        double t_full = 0;
        std::vector<double> t_grat(groups.size(), 0.0);
        for (size_t si = 0; si < scales.size(); ++si) {
            const Inputs in(n, scales[si], uint32_t(n));
            // Full attention on every `stride`-th query (rows strided through the same buffers).
            std::vector<float> full(size_t(Lq * H * D));
            AttentionArgs f;
            f.q = in.q.data(), f.k = in.k.data(), f.v = in.v.data(), f.out = full.data();
            f.B = 1, f.Lq = Lq, f.Lk = L, f.H = H, f.D = D;
            f.ldq = stride * H * D, f.ldk = f.ldv = H * D, f.ldo = H * D;
            f.scale = 1.0f / std::sqrt(float(D));
            const int timed_runs = si == 0 ? runs : 1;
            const double t = dit::bench::median_seconds(timed_runs, [&] { ops.attention(f); }) * double(stride);
            if (si == 0) t_full = t;
            for (size_t gi = 0; gi < groups.size(); ++gi) {
                const int64_t G = int64_t(groups[gi]);
                if (n % G != 0) continue;
                std::vector<float> out(in.q.size());
                GratAttentionArgs g;
                g.q = in.q.data(), g.k = in.k.data(), g.v = in.v.data(), g.out = out.data();
                g.B = 1, g.H = H, g.D = D, g.grid_h = g.grid_w = n, g.group = G, g.radius = radius;
                g.criss_cross = band;
                g.ldq = g.ldk = g.ldv = g.ldo = H * D;
                g.scale = f.scale;
                const double tg = dit::bench::median_seconds(timed_runs, [&] { ops.grat_attention(g); });
                if (si == 0) t_grat[gi] = tg;
                double diff = 0, norm = 0;
                for (int64_t i = 0; i < Lq; ++i)
                    for (int64_t c = 0; c < H * D; ++c) {
                        const double w = full[size_t(i * H * D + c)], d = out[size_t(i * stride * H * D + c)] - w;
                        diff += d * d, norm += w * w;
                    }
                const double err = std::sqrt(diff / norm), speedup = t_full / t_grat[gi];
                std::printf("%8lld %4lld^2 %6lld %8.1f%% %10.3f%s %11.3f %8.2fx %5.0f %9.3f%% %8.2f%%\n",
                            (long long)L, (long long)n, (long long)G, 100.0 * dit::kernels::grat::density(g), t_full,
                            stride > 1 ? "*" : " ", t_grat[gi], speedup, scales[si], 100.0 * err,
                            100.0 * dropped_mass(in, g));
                std::fflush(stdout);
                if (n == 128 && gi == 0 && si == 0) figure_speedup = speedup, figure_err = err;
            }
        }
    }
    std::printf("(* full attention timed on every 4th (128^2) or 64th (256^2) query and scaled; the error uses those rows)\n");
    std::printf("load average after: %s\n", loadavg().c_str());
    std::printf("figure: GRAT (group %g, radius %lld%s) at 16k tokens: %.2fx full attention, relative error %.3f%% "
                "(l = %g)\n", groups.front(), (long long)radius, band ? ", band" : "", figure_speedup,
                100.0 * figure_err, scales.front());
    return 0;
}
