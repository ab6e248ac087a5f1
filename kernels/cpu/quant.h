#pragma once
// GGUF's block formats and the 8-bit floats: how stored bytes become f32 (dequantize, declared in
// dtype.h beside to_f32, which calls it) and how f32 becomes stored bytes (quantize, for
// `dit-cli quantize`, the int8 kernel's activations and the tests).
//
// Layouts follow ggml (block_q8_0 ... block_q6_K); tools/reference/gguf_blocks.py is the same
// arithmetic in numpy, written from the format description, and the round-trip tests compare the
// two bit for bit. The dequantized value of every format is defined with one rounding per
// operation, in this order (quant.cpp is built with -ffp-contract=off so no FMA merges them):
//   Q8_0 d*q;  Q4_0 d*(q-8);  Q5_0 d*(q-16);  Q4_1, Q5_1 d*q + m;
//   Q4_K, Q5_K (d*sc)*q - (dmin*m);  Q6_K (d*sc)*(q-32)
// with d, m, dmin stored as binary16 and sc, m small integers.
#include <cstdint>

#include "kernels/cpu/dtype.h"

namespace dit::kernels {

float fp8_e4m3_to_float(uint8_t b);
float fp8_e5m2_to_float(uint8_t b);
// Round to nearest even, saturating to the largest finite value (±448, ±57344) rather than
// overflowing: a weight a hair past the range stays a weight. NaN stays NaN.
uint8_t float_to_fp8_e4m3(float f);
uint8_t float_to_fp8_e5m2(float f);

// n values of src (a multiple of block_size(dtype)) into storage_bytes(dtype, n) bytes. The block
// formats pick each block's scales from its values (absolute maximum, or minimum and maximum)
// and round every value to the nearest level of the stored, already rounded scales.
void quantize(DType dtype, const float* src, void* dst, int64_t n);

}  // namespace dit::kernels
