// Gemma-2's self-attention as plain loops: grouped-query heads, scaled scores soft-capped by
// tanh, then the causal / sliding-window / padding masks (masked keys get no weight at all, as
// finfo.min added before the softmax gives in float32), softmax in float with a double sum. A
// query that sees no key (a padding row past the sliding window) gets the plain mean of all the
// values, as finfo.min added to every score gives: min + score rounds to min, a uniform softmax.
// Threads over (batch, head) when OpenMP is on; each output element is computed the same way
// whatever the thread count.
#include <cmath>
#include <vector>

#include "kernels/cpu/ops.h"

namespace dit::kernels::host {

void gqa_attention(const GqaAttentionArgs& a) {
    const int64_t group = a.H / a.Hkv;
#ifdef _OPENMP
#pragma omp parallel for collapse(2) schedule(dynamic)
#endif
    for (int64_t b = 0; b < a.B; ++b)
        for (int64_t h = 0; h < a.H; ++h) {
            const int64_t kh = h / group;
            std::vector<float> p(size_t(a.L));
            std::vector<char> seen(size_t(a.L));
            for (int64_t i = 0; i < a.L; ++i) {
                const float* q = a.q + (b * a.L + i) * a.ldq + h * a.D;
                float* out = a.out + (b * a.L + i) * a.ldo + h * a.D;
                float mx = -INFINITY;
                bool any = false;
                for (int64_t j = 0; j < a.L; ++j) {
                    bool visible = !(a.causal && j > i) && !(a.window > 0 && i - j >= a.window) &&
                                   !(a.key_mask && a.key_mask[b * a.L + j] == 0);
                    seen[size_t(j)] = visible;
                    if (!visible) continue;
                    const float* k = a.k + (b * a.L + j) * a.ldk + kh * a.D;
                    float s = 0.0f;
                    for (int64_t d = 0; d < a.D; ++d) s += q[d] * k[d];
                    s *= a.scale;
                    if (a.softcap > 0.0f) s = a.softcap * std::tanh(s / a.softcap);
                    p[size_t(j)] = s;
                    mx = std::fmax(mx, s);
                    any = true;
                }
                for (int64_t d = 0; d < a.D; ++d) out[d] = 0.0f;
                if (!any) {  // every score at finfo.min: softmax is uniform over all keys
                    for (int64_t j = 0; j < a.L; ++j) {
                        const float* v = a.v + (b * a.L + j) * a.ldv + kh * a.D;
                        for (int64_t d = 0; d < a.D; ++d) out[d] += v[d];
                    }
                    for (int64_t d = 0; d < a.D; ++d) out[d] /= float(a.L);
                    continue;
                }
                double sum = 0.0;
                for (int64_t j = 0; j < a.L; ++j)
                    if (seen[size_t(j)]) {
                        p[size_t(j)] = std::exp(p[size_t(j)] - mx);
                        sum += p[size_t(j)];
                    }
                const float inv = float(1.0 / sum);
                for (int64_t j = 0; j < a.L; ++j) {
                    if (!seen[size_t(j)]) continue;
                    const float w = p[size_t(j)] * inv;
                    const float* v = a.v + (b * a.L + j) * a.ldv + kh * a.D;
                    for (int64_t d = 0; d < a.D; ++d) out[d] += w * v[d];
                }
            }
        }
}

}  // namespace dit::kernels::host
