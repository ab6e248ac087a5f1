#pragma once
// Private to the CPU backends: Sana's ops (ops.h, the "Sana" block) as plain loops
// (linear_attention.cpp, built everywhere, the reference) and as the fast path
// (fast_linear_attention.cpp: OpenBLAS + OpenMP, not in a DIT_DEVICE_ONLY build).
#include "kernels/cpu/ops.h"

namespace dit::kernels {

namespace sana_reference {
void linear_attention(const LinearAttentionArgs& a);
void depthwise_conv3x3(const float* x, const float* w, const float* bias, float* y, int64_t B, int64_t H, int64_t W,
                       int64_t C);
void glu_silu(const float* x, float* y, int64_t M, int64_t C);
}  // namespace sana_reference

namespace sana_fast {
void linear_attention(const LinearAttentionArgs& a);
void depthwise_conv3x3(const float* x, const float* w, const float* bias, float* y, int64_t B, int64_t H, int64_t W,
                       int64_t C);
void glu_silu(const float* x, float* y, int64_t M, int64_t C);
}  // namespace sana_fast

}  // namespace dit::kernels
