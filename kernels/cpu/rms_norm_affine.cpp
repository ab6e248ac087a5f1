// RMSNorm with the scale offset and a bias: Gemma's (1 + w) norm and diffusers' RMSNorm with
// bias, which DC-AE applies across channels. The sum of squares is accumulated in double so the
// plain loop stays the accurate reference for any row length.
#include <cmath>

#include "kernels/cpu/ops.h"

namespace dit::kernels::host {

void rms_norm_affine(const float* x, float* y, int64_t rows, int64_t cols, float eps, const float* gamma,
                     float gamma_offset, const float* beta) {
    for (int64_t r = 0; r < rows; ++r) {
        const float* xr = x + r * cols;
        float* yr = y + r * cols;
        double ss = 0.0;
        for (int64_t c = 0; c < cols; ++c) ss += double(xr[c]) * xr[c];
        const float inv = 1.0f / std::sqrt(float(ss / double(cols)) + eps);
        for (int64_t c = 0; c < cols; ++c) {
            float v = xr[c] * inv;
            if (gamma) v *= gamma_offset + gamma[c];
            if (beta) v += beta[c];
            yr[c] = v;
        }
    }
}

}  // namespace dit::kernels::host
