#pragma once
// The storage formats a weight can have, and the one place a stored weight becomes f32.
// Compute is always f32: big matrices stay in the mmapped checkpoint in their file format and
// the ops widen them a panel at a time (Backend::linear with a WeightRef in ops.h).
//
// Element formats: F32, F16, BF16, and the 8-bit floats F8_E4M3 (e4m3fn: no infinities, 448
// max) and F8_E5M2. Block formats (GGUF's, kernels/cpu/quant.h): a row is cut into blocks of
// `block_size` values stored in `block_bytes` bytes each, so a quantized row of K values needs K
// to be a multiple of the block size; offsets into such a matrix are counted in whole blocks.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "kernels/cpu/half.h"

namespace dit::kernels {

enum class DType : uint8_t { F32, F16, BF16, F8_E4M3, F8_E5M2, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K };

inline const char* dtype_name(DType d) {
    switch (d) {
        case DType::F32: return "F32";
        case DType::F16: return "F16";
        case DType::BF16: return "BF16";
        case DType::F8_E4M3: return "F8_E4M3";
        case DType::F8_E5M2: return "F8_E5M2";
        case DType::Q8_0: return "Q8_0";
        case DType::Q4_0: return "Q4_0";
        case DType::Q4_1: return "Q4_1";
        case DType::Q5_0: return "Q5_0";
        case DType::Q5_1: return "Q5_1";
        case DType::Q4_K: return "Q4_K";
        case DType::Q5_K: return "Q5_K";
        case DType::Q6_K: return "Q6_K";
    }
    return "?";
}

// Values per block: 1 for the element formats, 32 for the classic GGUF blocks, 256 for K-quants.
inline int64_t block_size(DType d) {
    switch (d) {
        case DType::Q8_0: case DType::Q4_0: case DType::Q4_1: case DType::Q5_0: case DType::Q5_1: return 32;
        case DType::Q4_K: case DType::Q5_K: case DType::Q6_K: return 256;
        default: return 1;
    }
}

inline int64_t block_bytes(DType d) {
    switch (d) {
        case DType::F32: return 4;
        case DType::F16: case DType::BF16: return 2;
        case DType::F8_E4M3: case DType::F8_E5M2: return 1;
        case DType::Q8_0: return 34;   // f16 scale, 32 int8
        case DType::Q4_0: return 18;   // f16 scale, 16 bytes of nibbles
        case DType::Q4_1: return 20;   // f16 scale and min, nibbles
        case DType::Q5_0: return 22;   // f16 scale, 4 bytes of fifth bits, nibbles
        case DType::Q5_1: return 24;   // f16 scale and min, fifth bits, nibbles
        case DType::Q4_K: return 144;  // f16 d, dmin, 12 bytes of 6-bit scales and mins, 128 of nibbles
        case DType::Q5_K: return 176;  // as Q4_K plus 32 bytes of fifth bits
        case DType::Q6_K: return 210;  // 128 low nibbles, 64 of high pairs, 16 int8 scales, f16 d
    }
    return 1;
}

inline bool is_block_format(DType d) { return block_size(d) > 1; }

// Bytes holding n values; n must be a multiple of block_size(d) (the loaders check every shape).
inline int64_t storage_bytes(DType d, int64_t n) { return n / block_size(d) * block_bytes(d); }

// The address alignment an op expects of the first element: block formats and 8-bit floats are
// read bytewise.
inline size_t dtype_alignment(DType d) { return is_block_format(d) ? 1 : static_cast<size_t>(block_bytes(d)); }

// Elements in their storage format: a weight matrix as the checkpoint holds it. `scale`
// multiplies every widened value: ComfyUI's scaled FP8 checkpoints store weight / scale_weight.
struct WeightRef {
    const void* data = nullptr;
    DType dtype = DType::F32;
    float scale = 1.0f;
};

// Block and 8-bit float conversions, in kernels/cpu/quant.cpp; n is a multiple of the block size.
void dequantize(DType dtype, const void* src, float* dst, int64_t n);

// dst[i] = src[i] widened to f32, for n elements of `dtype` starting at a block boundary (src
// need not be aligned); the f16/bf16 loops are inline so they vectorise in the callers.
inline void to_f32(const void* src, DType dtype, float* dst, int64_t n) {
    const auto* s = static_cast<const unsigned char*>(src);
    if (dtype == DType::F32) {
        std::memcpy(dst, s, static_cast<size_t>(n) * 4);
    } else if (dtype == DType::BF16) {
        for (int64_t i = 0; i < n; ++i) {
            uint16_t b;
            std::memcpy(&b, s + 2 * i, 2);
            dst[i] = bf16_to_float(b);
        }
    } else if (dtype == DType::F16) {
        for (int64_t i = 0; i < n; ++i) {
            uint16_t h;
            std::memcpy(&h, s + 2 * i, 2);
            dst[i] = half_to_float(h);
        }
    } else {
        dequantize(dtype, src, dst, n);
    }
}

// Values [first, first + n) of a weight, widened and scaled; first is a multiple of the block size.
inline void to_f32(WeightRef w, int64_t first, int64_t n, float* dst) {
    to_f32(static_cast<const unsigned char*>(w.data) + storage_bytes(w.dtype, first), w.dtype, dst, n);
    if (w.scale != 1.0f)
        for (int64_t i = 0; i < n; ++i) dst[i] *= w.scale;
}

}  // namespace dit::kernels
