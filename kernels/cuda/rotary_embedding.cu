// Rotary position embedding in place ("rotate half"): one thread per rotated pair.
#include "kernels/cuda/common.cuh"

namespace dit::kernels::cuda {
namespace {

__global__ void rotary_kernel(float* x, const float* cos, const float* sin, int64_t B, int64_t L, int64_t H,
                              int64_t D, int64_t ld) {
    const int64_t half = D / 2;
    DIT_GRID_STRIDE(t, B * L * H * half) {
        const int64_t i = t % half, h = (t / half) % H, bl = t / (half * H), l = bl % L;
        float* v = x + bl * ld + h * D;
        const float a = v[i], e = v[i + half];
        v[i] = a * cos[l * D + i] - e * sin[l * D + i];
        v[i + half] = e * cos[l * D + i + half] + a * sin[l * D + i + half];
    }
}

}  // namespace

void rotary_embedding(cudaStream_t s, float* x, const float* cos, const float* sin, int64_t B, int64_t L, int64_t H,
                      int64_t D, int64_t ld) {
    const int64_t n = B * L * H * (D / 2);
    if (n == 0) return;
    rotary_kernel<<<elementwise_blocks(n), kThreads, 0, s>>>(x, cos, sin, B, L, H, D, ld);
    DIT_CUDA_LAUNCHED();
}

}  // namespace dit::kernels::cuda
