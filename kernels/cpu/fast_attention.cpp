// Multi-head attention as blocked loops. One OpenMP task is (batch, head, block of QB queries):
// S = Q·Kᵀ, a max-subtracted softmax per row, O = P·V. Both products go through one
// register-tiled kernel over per-thread copies of Kᵀ and V, zero-padded to the tile width and
// built once per (batch, head) a thread visits. The whole score row is kept (two-pass softmax):
// QB × Lk floats stay in cache for the sequence lengths a DiT sees.
#include "kernels/cpu/fast_common.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

namespace dit::kernels::fast_detail {
namespace {

constexpr int64_t TR = 8, TC = 16;  // register tile: TR rows x TC columns of C
constexpr int64_t QB = 32;          // queries per task, a multiple of TR

// One TC-wide row of the register tile. A GCC/Clang vector type rather than a plain loop: GCC 12
// vectorises this loop nest the wrong way round and leaves the accumulators in memory.
typedef float vec __attribute__((vector_size(TC * sizeof(float))));

int64_t round_up(int64_t n, int64_t m) { return (n + m - 1) / m * m; }

static_assert(TR == kTileRows && TC == kTileCols);

}  // namespace

// Column panels outside, rows inside, so a K x TC panel of B stays in L1 while A streams.
void matmul_tiled(const float* A, int64_t lda, const float* B, int64_t ldb, float* C,
                  int64_t ldc, int64_t M, int64_t N, int64_t K) {
    for (int64_t j = 0; j < N; j += TC)
        for (int64_t i = 0; i < M; i += TR) {
            vec acc[TR] = {};
            for (int64_t k = 0; k < K; ++k) {
                vec bk;
                std::memcpy(&bk, B + k * ldb + j, sizeof(vec));
                for (int64_t r = 0; r < TR; ++r) acc[r] += A[(i + r) * lda + k] * bk;
            }
            for (int64_t r = 0; r < TR; ++r) std::memcpy(C + (i + r) * ldc + j, &acc[r], sizeof(vec));
        }
}

namespace {

thread_local std::vector<float> scratch;  // one per OpenMP thread, grown, never shrunk

// Region-masked softmax of one score row s[0, Lk) in place, for a query of group qg: a key is
// visible when its group is 0 or qg. Invisible keys get exactly 0 (not exp of a large negative
// number: exp_fast clamps its input, so a -inf score would still weigh ~1e-38). Returns
// 1 / (sum of the weights), or 0 when the query sees no key, which makes its output row zeros.
float grouped_softmax(float* s, int64_t Lk, const int32_t* key_group, int32_t qg) {
    float mx = -INFINITY;
    bool any = false;
    for (int64_t j = 0; j < Lk; ++j)
        if (key_group[j] == 0 || key_group[j] == qg) {
            mx = std::max(mx, s[j]);
            any = true;
        }
    if (!any) {
        std::fill(s, s + Lk, 0.0f);
        return 0.0f;
    }
    float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
    for (int64_t j = 0; j < Lk; ++j) {
        const bool seen = key_group[j] == 0 || key_group[j] == qg;
        const float e = exp_fast(s[j] - mx);
        sum += (s[j] = seen ? e : 0.0f);
    }
    return 1.0f / sum;
}

}  // namespace

// q: [B, Lq, H*D], k/v: [B, Lk, H*D] (row strides ldq/ldk/ldv) -> out: [B, Lq, H*D] (ldo)
void attention(const AttentionArgs& a) {
    if (a.Lk <= 0) return;  // no keys: nothing defined to write
    const int64_t D = a.D, Lk = a.Lk, Lkp = round_up(Lk, TC), Dp = round_up(D, TC);
    const int64_t nqb = (a.Lq + QB - 1) / QB, tasks = a.B * a.H * nqb;
    const size_t need = size_t(D * Lkp + Lkp * Dp + QB * (D + Lkp + Dp));
#pragma omp parallel if (a.B * a.H * a.Lq * Lk * D > kParallelMin)
    {
        if (scratch.size() < need) scratch.resize(need);
        float* Kt = scratch.data();  // [D, Lkp]
        float* Vp = Kt + D * Lkp;    // [Lkp, Dp]
        float* Q = Vp + Lkp * Dp;    // [QB, D]
        float* S = Q + QB * D;       // [QB, Lkp]: scores, then probabilities
        float* O = S + QB * Lkp;     // [QB, Dp]
        int64_t packed = -1;         // the (b, h) whose K and V sit in Kt and Vp
#pragma omp for schedule(static)
        for (int64_t t = 0; t < tasks; ++t) {
            const int64_t bh = t / nqb, b = bh / a.H, h = bh % a.H;
            const int64_t q0 = (t % nqb) * QB, nq = std::min(QB, a.Lq - q0);
            const int64_t mq = round_up(nq, TR);
            if (bh != packed) {  // padding is zero so it adds nothing to either product
                std::fill(Kt, Kt + D * Lkp, 0.0f);
                std::fill(Vp, Vp + Lkp * Dp, 0.0f);
                for (int64_t j = 0; j < Lk; ++j) {
                    const float* kj = a.k + (b * Lk + j) * a.ldk + h * D;
                    const float* vj = a.v + (b * Lk + j) * a.ldv + h * D;
                    for (int64_t d = 0; d < D; ++d) Kt[d * Lkp + j] = kj[d];
                    std::memcpy(Vp + j * Dp, vj, size_t(D) * sizeof(float));
                }
                packed = bh;
            }
            for (int64_t i = 0; i < mq; ++i) {
                if (i < nq)
                    std::memcpy(Q + i * D, a.q + (b * a.Lq + q0 + i) * a.ldq + h * D,
                                size_t(D) * sizeof(float));
                else
                    std::fill(Q + i * D, Q + i * D + D, 0.0f);
            }
            matmul_tiled(Q, D, Kt, Lkp, S, Lkp, mq, Lkp, D);

            float inv_sum[QB];
            for (int64_t i = 0; i < nq; ++i) {
                float* s = S + i * Lkp;  // columns >= Lk stay 0 and are not part of the softmax
                for (int64_t j = 0; j < Lk; ++j) s[j] *= a.scale;
                if (a.position_bias) {
                    const float* pb = a.position_bias + (h * a.Lq + q0 + i) * Lk;
                    for (int64_t j = 0; j < Lk; ++j) s[j] += pb[j];
                }
                if (a.key_bias) {
                    const float* kb = a.key_bias + b * Lk;
                    for (int64_t j = 0; j < Lk; ++j) s[j] += kb[j];
                }
                if (a.query_group && a.key_group) {
                    inv_sum[i] = grouped_softmax(s, Lk, a.key_group + b * Lk, a.query_group[b * a.Lq + q0 + i]);
                    continue;
                }
                float mx = s[0], sum = 0.0f;
#pragma omp simd reduction(max : mx)
                for (int64_t j = 0; j < Lk; ++j) mx = std::max(mx, s[j]);
#pragma omp simd reduction(+ : sum)
                for (int64_t j = 0; j < Lk; ++j) sum += (s[j] = exp_fast(s[j] - mx));
                inv_sum[i] = 1.0f / sum;
            }
            matmul_tiled(S, Lkp, Vp, Dp, O, Dp, mq, Dp, Lkp);
            for (int64_t i = 0; i < nq; ++i) {
                float* o = a.out + (b * a.Lq + q0 + i) * a.ldo + h * D;
                for (int64_t d = 0; d < D; ++d) o[d] = O[i * Dp + d] * inv_sum[i];
            }
        }
    }
}

}  // namespace dit::kernels::fast_detail
