// LayerNorm, RMSNorm (T5LayerNorm) and GroupNorm: one thread block per normalised row or group,
// two passes (the mean, then the centred sum of squares) as the reference does, which keeps f32
// accurate where E[x²] - E[x]² would cancel. Block sums are tree reductions over warp shuffles.
#include "kernels/cuda/common.cuh"

namespace dit::kernels::cuda {
namespace {

// The sum of v over the block, returned to every thread. blockDim.x is a multiple of 32.
__device__ float block_sum(float v) {
    __shared__ float partial[32];
    __shared__ float total;
    v = warp_sum(v);
    const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
    if (lane == 0) partial[warp] = v;
    __syncthreads();
    if (warp == 0) {
        float w = lane < int(blockDim.x / 32) ? partial[lane] : 0.f;
        w = warp_sum(w);
        if (lane == 0) total = w;
    }
    __syncthreads();
    const float out = total;
    __syncthreads();  // `partial` and `total` are reused by the next call
    return out;
}

// x, y: [rows, cols]; one block per row. x and y may alias: each element is read before the
// thread that owns it writes it. With shift and scale ([rows / L, cols]) the row is also
// modulated, y * (1 + scale) + shift, in the same pass (adaLN: one write of y instead of two).
__global__ void layer_norm_kernel(const float* x, float* y, int64_t cols, float eps, const float* gamma,
                                  const float* beta, int64_t L, const float* shift, const float* scale) {
    const float* xr = x + int64_t(blockIdx.x) * cols;
    float* yr = y + int64_t(blockIdx.x) * cols;
    float s = 0.f;
    for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) s += xr[c];
    const float mean = block_sum(s) / float(cols);
    float q = 0.f;
    for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) {
        const float d = xr[c] - mean;
        q += d * d;
    }
    const float inv = rsqrtf(block_sum(q) / float(cols) + eps);
    for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) {
        float v = (xr[c] - mean) * inv;
        if (gamma) v *= gamma[c];
        if (beta) v += beta[c];
        if (shift) {
            const int64_t m = (int64_t(blockIdx.x) / L) * cols + c;
            v = v * (1.f + scale[m]) + shift[m];
        }
        yr[c] = v;
    }
}

__global__ void rms_norm_kernel(const float* x, float* y, int64_t cols, float eps, const float* gamma) {
    const float* xr = x + int64_t(blockIdx.x) * cols;
    float* yr = y + int64_t(blockIdx.x) * cols;
    float q = 0.f;
    for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) q += xr[c] * xr[c];
    const float inv = rsqrtf(block_sum(q) / float(cols) + eps);
    for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) yr[c] = xr[c] * inv * (gamma ? gamma[c] : 1.f);
}

// x, y: [N, C, HW]; one block per (n, group); a group's cpg * HW values are contiguous.
__global__ void group_norm_kernel(const float* x, float* y, int64_t C, int64_t HW, int64_t groups, float eps,
                                  const float* gamma, const float* beta) {
    const int64_t n = blockIdx.x / groups, g = blockIdx.x % groups, cpg = C / groups, len = cpg * HW;
    const int64_t off = (n * C + g * cpg) * HW;
    float s = 0.f;
    for (int64_t i = threadIdx.x; i < len; i += blockDim.x) s += x[off + i];
    const float mean = block_sum(s) / float(len);
    float q = 0.f;
    for (int64_t i = threadIdx.x; i < len; i += blockDim.x) {
        const float d = x[off + i] - mean;
        q += d * d;
    }
    const float inv = rsqrtf(block_sum(q) / float(len) + eps);
    for (int64_t i = threadIdx.x; i < len; i += blockDim.x) {
        const int64_t c = g * cpg + i / HW;
        float v = (x[off + i] - mean) * inv;
        if (gamma) v *= gamma[c];
        if (beta) v += beta[c];
        y[off + i] = v;
    }
}

// Enough threads to cover a PixArt row (1152) in about one pass, fewer for narrow rows.
int row_threads(int64_t cols) { return cols >= 1024 ? 512 : (cols >= 256 ? 256 : 64); }

}  // namespace

void layer_norm(cudaStream_t s, const float* x, float* y, int64_t rows, int64_t cols, float eps,
                const float* gamma, const float* beta) {
    if (rows == 0 || cols == 0) return;
    layer_norm_kernel<<<unsigned(rows), row_threads(cols), 0, s>>>(x, y, cols, eps, gamma, beta, 1, nullptr, nullptr);
    DIT_CUDA_LAUNCHED();
}

void layer_norm_modulate(cudaStream_t s, const float* x, float* y, int64_t B, int64_t L, int64_t C, float eps,
                         const float* shift, const float* scale) {
    if (B == 0 || L == 0 || C == 0) return;
    layer_norm_kernel<<<unsigned(B * L), row_threads(C), 0, s>>>(x, y, C, eps, nullptr, nullptr, L, shift, scale);
    DIT_CUDA_LAUNCHED();
}

void rms_norm(cudaStream_t s, const float* x, float* y, int64_t rows, int64_t cols, float eps, const float* gamma) {
    if (rows == 0 || cols == 0) return;
    rms_norm_kernel<<<unsigned(rows), row_threads(cols), 0, s>>>(x, y, cols, eps, gamma);
    DIT_CUDA_LAUNCHED();
}

void group_norm(cudaStream_t s, const float* x, float* y, int64_t N, int64_t C, int64_t HW, int64_t groups,
                float eps, const float* gamma, const float* beta) {
    if (N == 0 || C == 0 || HW == 0) return;
    group_norm_kernel<<<unsigned(N * groups), 1024, 0, s>>>(x, y, C, HW, groups, eps, gamma, beta);
    DIT_CUDA_LAUNCHED();
}

}  // namespace dit::kernels::cuda
