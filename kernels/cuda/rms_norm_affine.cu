// RMSNorm with the scale offset and bias (Gemma's 1 + w; DC-AE's weight and bias across
// channels): one warp per row, the sum of squares reduced by shuffles.
#include "kernels/cuda/common.cuh"

namespace dit::kernels::cuda {
namespace {

constexpr int kRowsPerBlock = 8;  // warps per block, one row each

__global__ void rms_norm_affine_kernel(const float* x, float* y, int64_t rows, int64_t cols, float eps,
                                       const float* gamma, float gamma_offset, const float* beta) {
    const int64_t row = int64_t(blockIdx.x) * kRowsPerBlock + threadIdx.x / 32;
    if (row >= rows) return;
    const int lane = threadIdx.x % 32;
    const float* xr = x + row * cols;
    float* yr = y + row * cols;
    float q = 0.f;
    for (int64_t c = lane; c < cols; c += 32) q += xr[c] * xr[c];
    const float inv = rsqrtf(warp_sum(q) / float(cols) + eps);
    for (int64_t c = lane; c < cols; c += 32) {
        float v = xr[c] * inv;
        if (gamma) v *= gamma_offset + gamma[c];
        if (beta) v += beta[c];
        yr[c] = v;
    }
}

}  // namespace

void rms_norm_affine(cudaStream_t s, const float* x, float* y, int64_t rows, int64_t cols, float eps,
                     const float* gamma, float gamma_offset, const float* beta) {
    if (rows == 0 || cols == 0) return;
    rms_norm_affine_kernel<<<blocks_for(rows, kRowsPerBlock), 32 * kRowsPerBlock, 0, s>>>(x, y, rows, cols, eps, gamma,
                                                                                        gamma_offset, beta);
    DIT_CUDA_LAUNCHED();
}

}  // namespace dit::kernels::cuda
