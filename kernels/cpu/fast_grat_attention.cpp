// GRAT's grouped sparse attention on the CPU, tiled as fast_attention.cpp tiles full attention:
// one OpenMP task is (batch, query block, head). The task packs the keys its block sees (Kᵀ) and
// their values once, zero-padded to the register tile, then runs the block's G² queries through
// them QB at a time: S = Q·Kᵀ, a max-subtracted softmax per row, O = P·V, both products on the
// shared register-tiled kernel. Every query of a block shares its keys, which is what makes the
// packing pay: GRAT's grouping is as much about this reuse as about skipping far blocks.
// Tasks are handed out dynamically so a core another program keeps busy takes fewer of them.
#include "kernels/cpu/fast_common.h"
#include "kernels/cpu/grat_attention.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

namespace dit::kernels::grat {
namespace {

constexpr int64_t QB = 32;  // queries per pass over the packed keys, a multiple of kTileRows

int64_t round_up(int64_t n, int64_t m) { return (n + m - 1) / m * m; }

thread_local std::vector<float> scratch;  // one per OpenMP thread, grown, never shrunk

}  // namespace

// q, k, v: [B, L, H*D] -> out: [B, L, H*D], L = grid_h * grid_w
void fast(const GratAttentionArgs& a) {
    check(a);
    const int64_t G = a.group, L = a.grid_h * a.grid_w, bx = a.grid_w / G, blocks = (a.grid_h / G) * bx;
    const int64_t D = a.D, Dp = round_up(D, fast_detail::kTileCols), tasks = a.B * blocks * a.H;
    // The widest key set any block sees: where its row and column of blocks are longest.
    int64_t max_keys = 0;
    for (int64_t blk = 0; blk < blocks; ++blk) max_keys = std::max<int64_t>(max_keys, int64_t(key_tokens(a, blk).size()));
    const int64_t nkp_max = round_up(max_keys, fast_detail::kTileCols);
    const size_t need = size_t(D * nkp_max + nkp_max * Dp + QB * (D + nkp_max + Dp));
#pragma omp parallel if (a.B * a.H * L * max_keys * D > fast_detail::kParallelMin)
    {
        if (scratch.size() < need) scratch.resize(need);
        std::vector<int32_t> keys;
        int64_t keys_of = -1;  // the block whose key tokens `keys` holds
#pragma omp for schedule(dynamic)
        for (int64_t t = 0; t < tasks; ++t) {
            const int64_t h = t % a.H, blk = (t / a.H) % blocks, b = t / (a.H * blocks);
            if (blk != keys_of) {
                keys = key_tokens(a, blk);
                keys_of = blk;
            }
            const int64_t nk = int64_t(keys.size()), nkp = round_up(nk, fast_detail::kTileCols);
            float* Kt = scratch.data();  // [D, nkp]
            float* Vp = Kt + D * nkp;    // [nkp, Dp]
            float* Q = Vp + nkp * Dp;    // [QB, D]
            float* S = Q + QB * D;       // [QB, nkp]: scores, then probabilities
            float* O = S + QB * nkp;     // [QB, Dp]
            // Padding is zero so it adds nothing to either product.
            std::fill(Kt, Kt + D * nkp, 0.0f);
            std::fill(Vp, Vp + nkp * Dp, 0.0f);
            for (int64_t j = 0; j < nk; ++j) {
                const float* kj = a.k + (b * L + keys[size_t(j)]) * a.ldk + h * D;
                const float* vj = a.v + (b * L + keys[size_t(j)]) * a.ldv + h * D;
                for (int64_t d = 0; d < D; ++d) Kt[d * nkp + j] = kj[d];
                std::memcpy(Vp + j * Dp, vj, size_t(D) * sizeof(float));
            }
            const int64_t y0 = (blk / bx) * G, x0 = (blk % bx) * G;
            for (int64_t q0 = 0; q0 < G * G; q0 += QB) {
                const int64_t nq = std::min(QB, G * G - q0), mq = round_up(nq, fast_detail::kTileRows);
                auto token = [&](int64_t i) { return (y0 + (q0 + i) / G) * a.grid_w + x0 + (q0 + i) % G; };
                for (int64_t i = 0; i < mq; ++i) {
                    if (i < nq)
                        std::memcpy(Q + i * D, a.q + (b * L + token(i)) * a.ldq + h * D, size_t(D) * sizeof(float));
                    else
                        std::fill(Q + i * D, Q + i * D + D, 0.0f);
                }
                fast_detail::matmul_tiled(Q, D, Kt, nkp, S, nkp, mq, nkp, D);
                float inv_sum[QB];
                for (int64_t i = 0; i < nq; ++i) {
                    float* s = S + i * nkp;  // columns >= nk stay 0 and are not part of the softmax
                    float mx = -INFINITY, sum = 0.0f;
#pragma omp simd reduction(max : mx)
                    for (int64_t j = 0; j < nk; ++j) mx = std::max(mx, s[j] *= a.scale);
#pragma omp simd reduction(+ : sum)
                    for (int64_t j = 0; j < nk; ++j) sum += (s[j] = fast_detail::exp_fast(s[j] - mx));
                    inv_sum[i] = 1.0f / sum;
                }
                fast_detail::matmul_tiled(S, nkp, Vp, Dp, O, Dp, mq, Dp, nkp);
                for (int64_t i = 0; i < nq; ++i) {
                    float* o = a.out + (b * L + token(i)) * a.ldo + h * D;
                    for (int64_t d = 0; d < D; ++d) o[d] = O[i * Dp + d] * inv_sum[i];
                }
            }
        }
    }
}

}  // namespace dit::kernels::grat
