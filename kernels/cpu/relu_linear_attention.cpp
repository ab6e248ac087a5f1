// DC-AE's ReLU linear attention (diffusers' SanaMultiscaleLinearAttention) over channel-major
// heads, as plain loops in the linear order diffusers uses once a feature map has more positions
// than a head has channels: kv = (v | 1) relu(k)ᵀ, then kv relu(q), and the last row divides.
// (For smaller maps diffusers multiplies in the quadratic order, relu(k)ᵀ relu(q) first: the same
// sums grouped differently, equal up to rounding.) Sums in double keep the reference accurate.
//
// Written for the autoencoder (issue 18, part B); the Sana transformer's token-major linear
// attention (part A) computes the same thing on another layout.
#include <vector>

#include "kernels/cpu/ops.h"

namespace dit::kernels::host {

// qkv [B, heads, 3*D, P] -> out [B, heads, D, P]
void relu_linear_attention_nchw(const float* qkv, float* out, int64_t B, int64_t heads, int64_t D, int64_t P,
                                float eps) {
    auto relu = [](float v) { return v > 0.0f ? v : 0.0f; };
#ifdef _OPENMP
#pragma omp parallel for collapse(2)
#endif
    for (int64_t b = 0; b < B; ++b)
        for (int64_t n = 0; n < heads; ++n) {
            const float* q = qkv + (b * heads + n) * 3 * D * P;
            const float* k = q + D * P;
            const float* v = k + D * P;
            // kv[d, e] = sum_j v'[d, j] relu(k[e, j]), v' = v with a row of ones appended (d = D)
            std::vector<double> kv(size_t((D + 1) * D), 0.0);
            for (int64_t e = 0; e < D; ++e)
                for (int64_t j = 0; j < P; ++j) {
                    const double ke = relu(k[e * P + j]);
                    if (ke == 0.0) continue;
                    for (int64_t d = 0; d < D; ++d) kv[size_t(d * D + e)] += double(v[d * P + j]) * ke;
                    kv[size_t(D * D + e)] += ke;
                }
            float* o = out + (b * heads + n) * D * P;
            std::vector<double> col(size_t(D + 1));
            for (int64_t i = 0; i < P; ++i) {
                for (int64_t d = 0; d <= D; ++d) col[size_t(d)] = 0.0;
                for (int64_t e = 0; e < D; ++e) {
                    const double qe = relu(q[e * P + i]);
                    if (qe == 0.0) continue;
                    for (int64_t d = 0; d <= D; ++d) col[size_t(d)] += kv[size_t(d * D + e)] * qe;
                }
                const double den = col[size_t(D)] + double(eps);
                for (int64_t d = 0; d < D; ++d) o[d * P + i] = float(col[size_t(d)] / den);
            }
        }
}

}  // namespace dit::kernels::host
