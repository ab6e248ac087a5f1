// Sana's ops: ReLU linear attention, the Mix-FFN's channel-last depthwise 3x3 conv and its
// SiLU-gated GLU. f32 on the CUDA cores; the sums run in another order than the reference's
// double loops (kernels/cpu/linear_attention.cpp), which the parity harness's tolerances allow.
#include <string>

#include "kernels/cuda/common.cuh"
#include "kernels/cuda/linear_attention.cuh"

namespace dit::kernels::cuda {
namespace {

constexpr int64_t kMaxHeadDim = 96;  // (D+1)·D floats of shared memory stay under 48 KiB

__global__ void linear_attention_kernel(LinearAttentionArgs a) {
    extern __shared__ float S[];  // [D+1, D]: rows 0..D-1 vᵀ relu(k), row D the column sums of relu(k)
    const int64_t D = a.D, N = a.N, b = blockIdx.x / a.H, h = blockIdx.x % a.H;
    const float* k = a.k + b * N * a.ldk + h * D;
    const float* v = a.v + b * N * a.ldv + h * D;
    const float* q = a.q + b * N * a.ldq + h * D;
    float* out = a.out + b * N * a.ldo + h * D;
    for (int64_t e = threadIdx.x; e < (D + 1) * D; e += blockDim.x) {
        const int64_t i = e / D, j = e % D;
        float acc = 0.f;
        for (int64_t m = 0; m < N; ++m) {
            const float kj = fmaxf(k[m * a.ldk + j], 0.f);
            acc += (i < D ? v[m * a.ldv + i] : 1.f) * kj;
        }
        S[e] = acc;
    }
    __syncthreads();
    for (int64_t e = threadIdx.x; e < N * D; e += blockDim.x) {
        const int64_t n = e / D, i = e % D;
        float num = 0.f, den = 0.f;
        for (int64_t j = 0; j < D; ++j) {
            const float qj = fmaxf(q[n * a.ldq + j], 0.f);
            num += S[i * D + j] * qj;
            den += S[D * D + j] * qj;
        }
        out[n * a.ldo + i] = num / (den + a.eps);
    }
}

__global__ void depthwise_conv3x3_kernel(const float* x, const float* w, const float* bias, float* y, int64_t H,
                                         int64_t W, int64_t C, int64_t n) {
    DIT_GRID_STRIDE(idx, n) {
        const int64_t c = idx % C, s = (idx / C) % W, r = (idx / (C * W)) % H, b = idx / (C * W * H);
        float acc = bias ? bias[c] : 0.f;
        for (int ky = 0; ky < 3; ++ky) {
            const int64_t yy = r + ky - 1;
            if (yy < 0 || yy >= H) continue;
            for (int kx = 0; kx < 3; ++kx) {
                const int64_t xx = s + kx - 1;
                if (xx < 0 || xx >= W) continue;
                acc += w[c * 9 + ky * 3 + kx] * x[((b * H + yy) * W + xx) * C + c];
            }
        }
        y[idx] = acc;
    }
}

__global__ void glu_silu_kernel(const float* x, float* y, int64_t C, int64_t n) {
    DIT_GRID_STRIDE(idx, n) {
        const int64_t m = idx / C, c = idx % C;
        const float g = x[m * 2 * C + C + c];
        y[idx] = x[m * 2 * C + c] * (g / (1.f + expf(-g)));
    }
}

}  // namespace

void linear_attention(cudaStream_t s, const LinearAttentionArgs& a) {
    if (a.B == 0 || a.H == 0 || a.N == 0 || a.D == 0) return;
    if (a.D > kMaxHeadDim)
        throw CudaError("linear_attention: head dim " + std::to_string(a.D) + " exceeds the CUDA kernel's " +
                        std::to_string(kMaxHeadDim));
    const size_t shared = size_t((a.D + 1) * a.D) * sizeof(float);
    linear_attention_kernel<<<unsigned(a.B * a.H), 256, shared, s>>>(a);
    DIT_CUDA_LAUNCHED();
}

void depthwise_conv3x3(cudaStream_t s, const float* x, const float* w, const float* bias, float* y, int64_t B,
                       int64_t H, int64_t W, int64_t C) {
    const int64_t n = B * H * W * C;
    if (n == 0) return;
    depthwise_conv3x3_kernel<<<elementwise_blocks(n), 256, 0, s>>>(x, w, bias, y, H, W, C, n);
    DIT_CUDA_LAUNCHED();
}

void glu_silu(cudaStream_t s, const float* x, float* y, int64_t M, int64_t C) {
    const int64_t n = M * C;
    if (n == 0) return;
    glu_silu_kernel<<<elementwise_blocks(n), 256, 0, s>>>(x, y, C, n);
    DIT_CUDA_LAUNCHED();
}

}  // namespace dit::kernels::cuda
