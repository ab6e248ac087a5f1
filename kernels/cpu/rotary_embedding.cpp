// Rotary position embedding, "rotate half" form (transformers' apply_rotary_pos_emb): each head
// vector's first and second halves are the two coordinates of D/2 rotations.
#include "kernels/cpu/ops.h"

namespace dit::kernels::host {

// x [B, L, H, D] (token stride ld), cos/sin [L, D]
void rotary_embedding(float* x, const float* cos, const float* sin, int64_t B, int64_t L, int64_t H, int64_t D,
                      int64_t ld) {
    const int64_t half = D / 2;
    for (int64_t b = 0; b < B; ++b)
        for (int64_t l = 0; l < L; ++l) {
            const float* c = cos + l * D;
            const float* s = sin + l * D;
            for (int64_t h = 0; h < H; ++h) {
                float* v = x + (b * L + l) * ld + h * D;
                for (int64_t i = 0; i < half; ++i) {
                    const float a = v[i], e = v[i + half];
                    v[i] = a * c[i] - e * s[i];
                    v[i + half] = e * c[i + half] + a * s[i + half];
                }
            }
        }
}

}  // namespace dit::kernels::host
