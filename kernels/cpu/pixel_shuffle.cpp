// The space-to-channel and channel-to-space moves of DC-AE (AutoencoderDC): torch's
// pixel_unshuffle / pixel_shuffle and the channel averaging / duplication its shortcuts put
// beside them. Pure copies except the mean, which sums the run of channels in order and divides
// once, as torch's mean does.
#include "kernels/cpu/ops.h"

namespace dit::kernels::host {

// x [N, C, H, W] -> y [N, C*r*r, H/r, W/r]
void pixel_unshuffle(const float* x, float* y, int64_t N, int64_t C, int64_t H, int64_t W, int64_t r) {
    const int64_t oh = H / r, ow = W / r;
    for (int64_t n = 0; n < N; ++n)
        for (int64_t c = 0; c < C; ++c)
            for (int64_t i = 0; i < r; ++i)
                for (int64_t j = 0; j < r; ++j) {
                    float* dst = y + ((n * C + c) * r * r + i * r + j) * oh * ow;
                    const float* src = x + (n * C + c) * H * W;
                    for (int64_t h = 0; h < oh; ++h)
                        for (int64_t w = 0; w < ow; ++w) dst[h * ow + w] = src[(h * r + i) * W + w * r + j];
                }
}

// x [N, C*r*r, H, W] -> y [N, C, H*r, W*r]
void pixel_shuffle(const float* x, float* y, int64_t N, int64_t C, int64_t H, int64_t W, int64_t r) {
    const int64_t oh = H * r, ow = W * r;
    for (int64_t n = 0; n < N; ++n)
        for (int64_t c = 0; c < C; ++c)
            for (int64_t i = 0; i < r; ++i)
                for (int64_t j = 0; j < r; ++j) {
                    const float* src = x + ((n * C + c) * r * r + i * r + j) * H * W;
                    float* dst = y + (n * C + c) * oh * ow;
                    for (int64_t h = 0; h < H; ++h)
                        for (int64_t w = 0; w < W; ++w) dst[(h * r + i) * ow + w * r + j] = src[h * W + w];
                }
}

// x [N, C*G, P] -> y [N, C, P]
void channel_mean(const float* x, float* y, int64_t N, int64_t C, int64_t G, int64_t P) {
    for (int64_t n = 0; n < N; ++n)
        for (int64_t c = 0; c < C; ++c) {
            float* dst = y + (n * C + c) * P;
            const float* src = x + (n * C + c) * G * P;
            for (int64_t p = 0; p < P; ++p) {
                float s = 0.0f;
                for (int64_t g = 0; g < G; ++g) s += src[g * P + p];
                dst[p] = s / float(G);
            }
        }
}

// x [N, C, P] -> y [N, C*R, P]
void channel_repeat(const float* x, float* y, int64_t N, int64_t C, int64_t R, int64_t P) {
    for (int64_t n = 0; n < N; ++n)
        for (int64_t c = 0; c < C; ++c)
            for (int64_t r = 0; r < R; ++r) {
                const float* src = x + (n * C + c) * P;
                float* dst = y + ((n * C + c) * R + r) * P;
                for (int64_t p = 0; p < P; ++p) dst[p] = src[p];
            }
}

}  // namespace dit::kernels::host
