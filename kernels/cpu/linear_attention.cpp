// Sana's ops as the plainest loops, accumulating in double like the rest of the reference
// backend (kernels/cpu/reference.cpp), so each can be checked against its formula in ops.h.
#include "kernels/cpu/linear_attention.h"

#include <cmath>
#include <vector>

namespace dit::kernels::sana_reference {

void linear_attention(const LinearAttentionArgs& a) {
    const int64_t D = a.D;
    std::vector<double> S(static_cast<size_t>(D * D)), z(static_cast<size_t>(D)), rq(static_cast<size_t>(D));
    for (int64_t b = 0; b < a.B; ++b)
        for (int64_t h = 0; h < a.H; ++h) {
            // S = vᵀ relu(k): [D, D]; z = column sums of relu(k): the padded ones row of v.
            std::fill(S.begin(), S.end(), 0.0);
            std::fill(z.begin(), z.end(), 0.0);
            for (int64_t m = 0; m < a.N; ++m) {
                const float* k = a.k + (b * a.N + m) * a.ldk + h * D;
                const float* v = a.v + (b * a.N + m) * a.ldv + h * D;
                for (int64_t j = 0; j < D; ++j) {
                    const double kj = std::max(0.0f, k[j]);
                    z[j] += kj;
                    for (int64_t i = 0; i < D; ++i) S[i * D + j] += double(v[i]) * kj;
                }
            }
            for (int64_t n = 0; n < a.N; ++n) {
                const float* q = a.q + (b * a.N + n) * a.ldq + h * D;
                float* o = a.out + (b * a.N + n) * a.ldo + h * D;
                double den = 0.0;
                for (int64_t j = 0; j < D; ++j) {
                    rq[j] = std::max(0.0f, q[j]);
                    den += z[j] * rq[j];
                }
                for (int64_t i = 0; i < D; ++i) {
                    double num = 0.0;
                    for (int64_t j = 0; j < D; ++j) num += S[i * D + j] * rq[j];
                    o[i] = float(num / (den + double(a.eps)));
                }
            }
        }
}

void depthwise_conv3x3(const float* x, const float* w, const float* bias, float* y, int64_t B, int64_t H, int64_t W,
                       int64_t C) {
    // x, y: [B, H, W, C]; w: [C, 3, 3]
    for (int64_t b = 0; b < B; ++b)
        for (int64_t r = 0; r < H; ++r)
            for (int64_t s = 0; s < W; ++s)
                for (int64_t c = 0; c < C; ++c) {
                    double acc = bias ? bias[c] : 0.0;
                    for (int64_t ky = 0; ky < 3; ++ky)
                        for (int64_t kx = 0; kx < 3; ++kx) {
                            const int64_t yy = r + ky - 1, xx = s + kx - 1;
                            if (yy < 0 || yy >= H || xx < 0 || xx >= W) continue;  // zero padding
                            acc += double(w[c * 9 + ky * 3 + kx]) * x[((b * H + yy) * W + xx) * C + c];
                        }
                    y[((b * H + r) * W + s) * C + c] = float(acc);
                }
}

void glu_silu(const float* x, float* y, int64_t M, int64_t C) {
    // x: [M, 2C] -> y: [M, C]
    for (int64_t m = 0; m < M; ++m)
        for (int64_t c = 0; c < C; ++c) {
            const double g = x[m * 2 * C + C + c];
            y[m * C + c] = float(double(x[m * 2 * C + c]) * (g / (1.0 + std::exp(-g))));
        }
}

}  // namespace dit::kernels::sana_reference
