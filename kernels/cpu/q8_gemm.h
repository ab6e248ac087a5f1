#pragma once
// Int8 dot products for Q8_0 weights: the activations are quantized to int8 per 32-value block
// (the weights' block size, one f32 scale each), every block pair is an exact integer dot
// product, scaled by both blocks' scales and summed in f32. The result differs from
// dequantize-then-f32 only by the activations' rounding (about 0.4% of a block's largest value).
//
// The integer products run on AVX2 (vpmaddubsw), chosen at run time by what the CPU reports; a
// CPU without it dequantizes instead. (An AVX-512 VNNI variant would replace vpmaddubsw +
// vpmaddwd by one vpdpbusd; it is not written: no machine here has VNNI to check it.) OneDNN
// (Debian's 2.6) was judged first and not used: its int8 matmul scales whole output channels,
// and Q8_0's scales change every 32 values along the reduction (docs/quantization.md).
#include <cstdint>

namespace dit::kernels {

// "avx2", or "" when this CPU lacks it (or the path is switched off).
const char* int8_path();
// Switches the int8 path off and on (benchmarks and tests compare it with dequantize-then-f32);
// it starts on unless the environment sets DIT_INT8=0.
void set_int8_enabled(bool on);

// y[M, N] = x[M, K] · wᵀ + b[N] (b may be null) for w: [N, K] in Q8_0 blocks; K is a multiple of
// 32. Needs int8_path() to be non-empty.
void q8_0_linear(const float* x, const void* w, const float* b, float* y, int64_t M, int64_t N, int64_t K);

}  // namespace dit::kernels
