#pragma once
// The f16/bf16 <-> f32 conversions for the safetensors and .npy readers and their tests; they
// live in kernels/cpu/half.h, next to the ops that widen mapped weights, so there is one copy.
#include "kernels/cpu/half.h"

namespace dit::detail {

using kernels::bf16_to_float;
using kernels::bits_to_float;
using kernels::float_to_bf16;
using kernels::float_to_bits;
using kernels::float_to_half;
using kernels::half_to_float;

}  // namespace dit::detail
