#pragma once
// Sana's ops on the GPU (ops.h, the "Sana" block); the kernels are in linear_attention.cu.
#include <cuda_runtime.h>

#include "kernels/cpu/ops.h"

namespace dit::kernels::cuda {

// One thread block per (batch, head): the [D+1, D] key-value summary in shared memory, then
// every query of that head against it. Head dims up to 96 (Sana's is 32).
void linear_attention(cudaStream_t s, const LinearAttentionArgs& a);
// x, y: [B, H, W, C] channel-last; w: [C, 3, 3]; bias: [C] or null.
void depthwise_conv3x3(cudaStream_t s, const float* x, const float* w, const float* bias, float* y, int64_t B,
                       int64_t H, int64_t W, int64_t C);
// x: [M, 2C] -> y: [M, C] = x[:, :C] * silu(x[:, C:])
void glu_silu(cudaStream_t s, const float* x, float* y, int64_t M, int64_t C);

}  // namespace dit::kernels::cuda
