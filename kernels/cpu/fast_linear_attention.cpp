// Sana's ops on the fast CPU backend. Linear attention is two small GEMMs per (batch, head):
// [D+1, N]·[N, D] for the key-value summary, then [N, D]·[D, D+1] for every query, so its cost
// is linear in the token count; the (batch, head) pairs are spread over the OpenMP team, each
// GEMM single-threaded. The depthwise conv walks channel-last rows so the inner loop runs over
// contiguous channels and vectorises.
#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <vector>

#include "kernels/cpu/fast_common.h"
#include "kernels/cpu/linear_attention.h"

namespace dit::kernels::sana_fast {

using fast_detail::exp_fast;
using fast_detail::kParallelMin;

void linear_attention(const LinearAttentionArgs& a) {
    const int64_t D = a.D, N = a.N, D1 = a.D + 1;
    static const bool single_threaded = (openblas_set_num_threads(1), true);
    (void)single_threaded;
#pragma omp parallel
    {
        // Per thread: relu(k) [N, D], v with a ones column [N, D+1], relu(q) [N, D],
        // the summary [D+1, D] and the queries' result [N, D+1].
        std::vector<float> rk(static_cast<size_t>(N * D)), v1(static_cast<size_t>(N * D1)), rq(static_cast<size_t>(N * D)),
            S(static_cast<size_t>(D1 * D)),
            o1(static_cast<size_t>(N * D1));
#pragma omp for schedule(static)
        for (int64_t bh = 0; bh < a.B * a.H; ++bh) {
            const int64_t b = bh / a.H, h = bh % a.H;
            for (int64_t m = 0; m < N; ++m) {
                const float* k = a.k + (b * N + m) * a.ldk + h * D;
                const float* v = a.v + (b * N + m) * a.ldv + h * D;
                const float* q = a.q + (b * N + m) * a.ldq + h * D;
                for (int64_t j = 0; j < D; ++j) {
                    rk[m * D + j] = std::max(0.0f, k[j]);
                    rq[m * D + j] = std::max(0.0f, q[j]);
                    v1[m * D1 + j] = v[j];
                }
                v1[m * D1 + D] = 1.0f;
            }
            // S[i, j] = sum_m v1[m, i] rk[m, j]: [D+1, D]
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, int(D1), int(D), int(N), 1.0f, v1.data(), int(D1),
                        rk.data(), int(D), 0.0f, S.data(), int(D));
            // o1[n, i] = sum_j rq[n, j] S[i, j]: [N, D+1]
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, int(N), int(D1), int(D), 1.0f, rq.data(), int(D),
                        S.data(), int(D), 0.0f, o1.data(), int(D1));
            for (int64_t n = 0; n < N; ++n) {
                float* o = a.out + (b * N + n) * a.ldo + h * D;
                const float inv = 1.0f / (o1[n * D1 + D] + a.eps);
                for (int64_t i = 0; i < D; ++i) o[i] = o1[n * D1 + i] * inv;
            }
        }
    }
}

void depthwise_conv3x3(const float* x, const float* w, const float* bias, float* y, int64_t B, int64_t H, int64_t W,
                       int64_t C) {
    // x, y: [B, H, W, C]. The taps transposed to [9, C] so each is a contiguous run of channels.
    std::vector<float> taps(size_t(9 * C));
    for (int64_t c = 0; c < C; ++c)
        for (int64_t t = 0; t < 9; ++t) taps[t * C + c] = w[c * 9 + t];
#pragma omp parallel for collapse(2) schedule(static) if (B * H * W * C > kParallelMin)
    for (int64_t b = 0; b < B; ++b)
        for (int64_t r = 0; r < H; ++r)
            for (int64_t s = 0; s < W; ++s) {
                float* out = y + ((b * H + r) * W + s) * C;
                if (bias)
                    std::copy(bias, bias + C, out);
                else
                    std::fill(out, out + C, 0.0f);
                for (int64_t ky = 0; ky < 3; ++ky) {
                    const int64_t yy = r + ky - 1;
                    if (yy < 0 || yy >= H) continue;
                    for (int64_t kx = 0; kx < 3; ++kx) {
                        const int64_t xx = s + kx - 1;
                        if (xx < 0 || xx >= W) continue;
                        const float* in = x + ((b * H + yy) * W + xx) * C;
                        const float* t = taps.data() + (ky * 3 + kx) * C;
#pragma omp simd
                        for (int64_t c = 0; c < C; ++c) out[c] += t[c] * in[c];
                    }
                }
            }
}

void glu_silu(const float* x, float* y, int64_t M, int64_t C) {
#pragma omp parallel for schedule(static) if (M * C > kParallelMin)
    for (int64_t m = 0; m < M; ++m) {
        const float* a = x + m * 2 * C;
        const float* g = a + C;
        float* o = y + m * C;
#pragma omp simd
        for (int64_t c = 0; c < C; ++c) o[c] = a[c] * (g[c] / (1.0f + exp_fast(-g[c])));
    }
}

}  // namespace dit::kernels::sana_fast
