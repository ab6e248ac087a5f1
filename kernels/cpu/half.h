#pragma once
// IEEE binary16 and bfloat16 <-> f32, bit-exact: the one copy of these conversions, used by the
// ops that widen mapped weights (kernels/cpu/dtype.h), the loaders, the .npy reader and writers.
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace dit::kernels {

inline float bits_to_float(uint32_t bits) {
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}

inline uint32_t float_to_bits(float f) {
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    return bits;
}

// Exact for every binary16 value (subnormals, infinities, NaN payloads). Branch-free (masks,
// not ?:) so the panel conversions vectorise. Subnormals go through an integer-valued f32
// product, which stays exact even with denormals-are-zero on.
inline float half_to_float(uint16_t h) {
    const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
    const uint32_t em = h & 0x7fffu;  // exponent and mantissa
    const uint32_t inf_nan = -static_cast<uint32_t>(em >= 0x7c00u), tiny = -static_cast<uint32_t>(em < 0x0400u);
    // Normal: rebias the exponent; inf / NaN: exponent all ones, payload kept.
    const uint32_t normal = (em << 13) + ((127u - 15u) << 23) + (inf_nan & ((128u - 16u) << 23));
    // Zero / subnormal: mantissa * 2^-24.
    const uint32_t small = float_to_bits(static_cast<float>(static_cast<int32_t>(em)) * 0x1p-24f);
    return bits_to_float((tiny & small) | (~tiny & normal) | sign);
}

inline float bf16_to_float(uint16_t b) { return bits_to_float(static_cast<uint32_t>(b) << 16); }

// Round-to-nearest-even f32 -> binary16, used by tests and writers that need f16 bytes.
inline uint16_t float_to_half(float f) {
    const uint32_t x = float_to_bits(f);
    const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
    const uint32_t exp = (x >> 23) & 0xffu;
    uint32_t mant = x & 0x7fffffu;
    if (exp == 0xff) return sign | 0x7c00u | (mant ? 0x200u : 0u);
    const int e = static_cast<int>(exp) - 127 + 15;
    if (e >= 0x1f) return sign | 0x7c00u;  // overflow -> inf
    if (e <= 0) {
        if (e < -10) return sign;  // underflows to zero
        mant |= 0x800000u;
        const int shift = 14 - e;
        uint32_t h = mant >> shift;
        const uint32_t rem = mant & ((1u << shift) - 1), half = 1u << (shift - 1);
        if (rem > half || (rem == half && (h & 1u))) ++h;
        return static_cast<uint16_t>(sign | h);
    }
    uint32_t h = (static_cast<uint32_t>(e) << 10) | (mant >> 13);
    const uint32_t rem = mant & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ++h;  // may carry into the exponent: fine
    return static_cast<uint16_t>(sign | h);
}

// Round-to-nearest-even f32 -> bfloat16 (NaN stays a quiet NaN), as torch's .bfloat16() does.
inline uint16_t float_to_bf16(float f) {
    const uint32_t x = float_to_bits(f);
    if ((x & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((x >> 16) | 0x40u);
    return static_cast<uint16_t>((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
}

}  // namespace dit::kernels
