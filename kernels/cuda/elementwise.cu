// Elementwise ops, token copies and im2col. Memory-bound: one read and one write per element, so
// the floor is bytes / bandwidth; grid-stride loops over coalesced indices, f32 throughout. The
// math matches kernels/cpu/reference.cpp up to f32 rounding (the reference sums in double).
#include <cuda_bf16.h>

#include "kernels/cuda/common.cuh"

namespace dit::kernels::cuda {
namespace {

// x: [B, L, C]; shift, scale: [B, C]
__global__ void modulate_kernel(float* x, const float* shift, const float* scale, int64_t L, int64_t C, int64_t n) {
    DIT_GRID_STRIDE(i, n) {
        const int64_t c = i % C, b = i / (L * C);
        x[i] = x[i] * (1.f + scale[b * C + c]) + shift[b * C + c];
    }
}

// x, y: [B, L, C]; gate: [B, C] or null
__global__ void add_gated_kernel(float* x, const float* y, const float* gate, int64_t L, int64_t C, int64_t n) {
    DIT_GRID_STRIDE(i, n) {
        const float g = gate ? gate[(i / (L * C)) * C + i % C] : 1.f;
        x[i] += g * y[i];
    }
}

__global__ void gelu_tanh_kernel(float* x, int64_t n) {
    const float k = 0.7978845608028654f;  // sqrt(2 / pi)
    DIT_GRID_STRIDE(i, n) {
        const float v = x[i];
        x[i] = 0.5f * v * (1.f + tanhf(k * (v + 0.044715f * v * v * v)));
    }
}

__global__ void silu_kernel(float* x, int64_t n) {
    DIT_GRID_STRIDE(i, n) {
        const float v = x[i];
        x[i] = v / (1.f + expf(-v));
    }
}

__global__ void mul_kernel(float* x, const float* y, int64_t n) {
    DIT_GRID_STRIDE(i, n) x[i] *= y[i];
}

// x: [P, H, W] -> y: [P, 2H, 2W]
__global__ void upsample_kernel(const float* x, float* y, int64_t H, int64_t W, int64_t n) {
    DIT_GRID_STRIDE(i, n) {
        const int64_t ox = i % (2 * W), oy = (i / (2 * W)) % (2 * H), p = i / (4 * H * W);
        y[i] = x[(p * H + oy / 2) * W + ox / 2];
    }
}

// One thread per (b, i, c): gather reads row index[i], scatter writes it.
__global__ void gather_kernel(const float* src, int64_t src_rows, float* dst, int64_t dst_rows, const int32_t* index,
                              int64_t n_rows, int64_t C, int64_t total) {
    DIT_GRID_STRIDE(t, total) {
        const int64_t c = t % C, i = (t / C) % n_rows, b = t / (C * n_rows);
        dst[(b * dst_rows + i) * C + c] = src[(b * src_rows + index[i]) * C + c];
    }
}

__global__ void scatter_kernel(const float* src, int64_t src_rows, float* dst, int64_t dst_rows, const int32_t* index,
                               int64_t n_rows, int64_t C, int64_t total) {
    DIT_GRID_STRIDE(t, total) {
        const int64_t c = t % C, i = (t / C) % n_rows, b = t / (C * n_rows);
        dst[(b * dst_rows + index[i]) * C + c] = src[(b * src_rows + i) * C + c];
    }
}

__global__ void add_bias_kernel(float* y, const float* b, int64_t N, int64_t ldy, int64_t total) {
    DIT_GRID_STRIDE(t, total) y[(t / N) * ldy + t % N] += b[t % N];
}

__global__ void add_channel_bias_kernel(float* y, const float* b, int64_t C, int64_t P, int64_t total) {
    DIT_GRID_STRIDE(t, total) y[t] += b[(t / P) % C];
}

__global__ void to_bf16_kernel(const float* src, __nv_bfloat16* dst, int64_t n) {
    DIT_GRID_STRIDE(i, n) dst[i] = __float2bfloat16_rn(src[i]);
}

// col: [Cin*KH*KW, rows*OW] for output rows [oy0, oy0 + rows) of image n; zero outside the input.
__global__ void im2col_kernel(const float* x, float* col, int64_t Cin, int64_t H, int64_t W, int64_t KH, int64_t KW,
                              int64_t stride, int64_t pad_top, int64_t pad_left, int64_t OW, int64_t oy0, int64_t rows,
                              int64_t total) {
    DIT_GRID_STRIDE(t, total) {
        const int64_t pixels = rows * OW;
        const int64_t pix = t % pixels, r = t / pixels;  // r = (ci * KH + ky) * KW + kx
        const int64_t kx = r % KW, ky = (r / KW) % KH, ci = r / (KW * KH);
        const int64_t oy = oy0 + pix / OW, ox = pix % OW;
        const int64_t iy = oy * stride + ky - pad_top, ix = ox * stride + kx - pad_left;
        col[t] = (iy >= 0 && iy < H && ix >= 0 && ix < W) ? x[(ci * H + iy) * W + ix] : 0.f;
    }
}

}  // namespace

void modulate(cudaStream_t s, float* x, const float* shift, const float* scale, int64_t B, int64_t L, int64_t C) {
    const int64_t n = B * L * C;
    if (n == 0) return;
    modulate_kernel<<<elementwise_blocks(n), kThreads, 0, s>>>(x, shift, scale, L, C, n);
    DIT_CUDA_LAUNCHED();
}

void add_gated(cudaStream_t s, float* x, const float* y, const float* gate, int64_t B, int64_t L, int64_t C) {
    const int64_t n = B * L * C;
    if (n == 0) return;
    add_gated_kernel<<<elementwise_blocks(n), kThreads, 0, s>>>(x, y, gate, L, C, n);
    DIT_CUDA_LAUNCHED();
}

void gelu_tanh(cudaStream_t s, float* x, int64_t n) {
    if (n == 0) return;
    gelu_tanh_kernel<<<elementwise_blocks(n), kThreads, 0, s>>>(x, n);
    DIT_CUDA_LAUNCHED();
}

void silu(cudaStream_t s, float* x, int64_t n) {
    if (n == 0) return;
    silu_kernel<<<elementwise_blocks(n), kThreads, 0, s>>>(x, n);
    DIT_CUDA_LAUNCHED();
}

void mul(cudaStream_t s, float* x, const float* y, int64_t n) {
    if (n == 0) return;
    mul_kernel<<<elementwise_blocks(n), kThreads, 0, s>>>(x, y, n);
    DIT_CUDA_LAUNCHED();
}

void upsample_nearest2x(cudaStream_t s, const float* x, float* y, int64_t N, int64_t C, int64_t H, int64_t W) {
    const int64_t n = N * C * 4 * H * W;
    if (n == 0) return;
    upsample_kernel<<<elementwise_blocks(n), kThreads, 0, s>>>(x, y, H, W, n);
    DIT_CUDA_LAUNCHED();
}

void gather_tokens(cudaStream_t s, const float* src, int64_t src_rows, float* dst, int64_t dst_rows,
                   const int32_t* index, int64_t n, int64_t B, int64_t C) {
    const int64_t total = B * n * C;
    if (total == 0) return;
    gather_kernel<<<elementwise_blocks(total), kThreads, 0, s>>>(src, src_rows, dst, dst_rows, index, n, C, total);
    DIT_CUDA_LAUNCHED();
}

void scatter_tokens(cudaStream_t s, const float* src, int64_t src_rows, float* dst, int64_t dst_rows,
                    const int32_t* index, int64_t n, int64_t B, int64_t C) {
    const int64_t total = B * n * C;
    if (total == 0) return;
    scatter_kernel<<<elementwise_blocks(total), kThreads, 0, s>>>(src, src_rows, dst, dst_rows, index, n, C, total);
    DIT_CUDA_LAUNCHED();
}

void add_bias(cudaStream_t s, float* y, const float* b, int64_t M, int64_t N, int64_t ldy) {
    const int64_t total = M * N;
    if (total == 0) return;
    add_bias_kernel<<<elementwise_blocks(total), kThreads, 0, s>>>(y, b, N, ldy, total);
    DIT_CUDA_LAUNCHED();
}

void add_channel_bias(cudaStream_t s, float* y, const float* b, int64_t N, int64_t C, int64_t P) {
    const int64_t total = N * C * P;
    if (total == 0) return;
    add_channel_bias_kernel<<<elementwise_blocks(total), kThreads, 0, s>>>(y, b, C, P, total);
    DIT_CUDA_LAUNCHED();
}

void to_bf16(cudaStream_t s, const float* src, uint16_t* dst, int64_t n) {
    if (n == 0) return;
    to_bf16_kernel<<<elementwise_blocks(n), kThreads, 0, s>>>(src, reinterpret_cast<__nv_bfloat16*>(dst), n);
    DIT_CUDA_LAUNCHED();
}

void im2col(cudaStream_t s, const Conv2dArgs& a, int64_t n, int64_t oy0, int64_t rows, float* col) {
    const int64_t OW = a.out_w(), total = a.Cin * a.KH * a.KW * rows * OW;
    if (total == 0) return;
    const float* x = a.x + n * a.Cin * a.H * a.W;
    im2col_kernel<<<elementwise_blocks(total), kThreads, 0, s>>>(x, col, a.Cin, a.H, a.W, a.KH, a.KW, a.stride,
                                                                 a.pad_top, a.pad_left, OW, oy0, rows, total);
    DIT_CUDA_LAUNCHED();
}

}  // namespace dit::kernels::cuda
