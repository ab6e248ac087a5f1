#include "kernels/cpu/quant.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

namespace dit::kernels {

namespace {

// ---- 8-bit floats ----

// e4m3fn: bias 7, no infinities, S.1111.111 is NaN. e5m2: binary16's upper byte.
std::array<float, 256> make_e4m3_table() {
    std::array<float, 256> t{};
    for (int b = 0; b < 256; ++b) {
        const int e = (b >> 3) & 15, m = b & 7;
        float v = e == 0 ? std::ldexp(float(m), -9) : std::ldexp(float(8 + m), e - 10);
        if (e == 15 && m == 7) v = std::nanf("");
        t[size_t(b)] = (b & 0x80) ? -v : v;
    }
    return t;
}
const std::array<float, 256> kE4M3 = make_e4m3_table();

// Round-to-nearest-even into a sign + `ebits` + `mbits` float with exponent bias `bias`,
// saturating at the code `max_code` (the largest finite magnitude).
uint8_t encode_minifloat(float f, int mbits, int bias, uint8_t max_code, uint8_t nan_code) {
    const uint8_t sign = std::signbit(f) ? 0x80 : 0;
    const float a = std::fabs(f);
    if (std::isnan(f)) return sign | nan_code;
    uint32_t code;
    if (a < std::ldexp(1.0f, 1 - bias)) {
        // Subnormal: an integer count of the smallest step; a count of 2^mbits is the smallest
        // normal, whose code is the same number.
        code = uint32_t(std::nearbyint(std::ldexp(a, bias - 1 + mbits)));
    } else if (a >= std::ldexp(2.0f, 15)) {
        code = max_code;  // far beyond both formats' ranges (and infinity)
    } else {
        const uint32_t bits = float_to_bits(a);
        int e = int((bits >> 23) & 0xff) - 127;
        const uint32_t mant = bits & 0x7fffff;
        const int shift = 23 - mbits;
        uint32_t r = (mant + ((1u << (shift - 1)) - 1) + ((mant >> shift) & 1u)) >> shift;
        if (r == (1u << mbits)) ++e, r = 0;
        code = (uint32_t(e + bias) << mbits) | r;
    }
    return sign | uint8_t(std::min<uint32_t>(code, max_code));
}

// ---- block helpers ----

float f16_at(const uint8_t* p) {
    uint16_t h;
    std::memcpy(&h, p, 2);
    return half_to_float(h);
}

// Stores v as binary16 and returns the value it now has, which the levels are computed from.
float put_f16(uint8_t* p, float v) {
    const uint16_t h = float_to_half(v);
    std::memcpy(p, &h, 2);
    return half_to_float(h);
}

int clamp_round(float v, int lo, int hi) { return std::clamp(int(std::nearbyint(v)), lo, hi); }

// The value of largest magnitude, with its sign (its level becomes the extreme one exactly).
float signed_absmax(const float* x, int n) {
    float best = 0.0f;
    for (int i = 0; i < n; ++i)
        if (std::fabs(x[i]) > std::fabs(best)) best = x[i];
    return best;
}

// Q4_K / Q5_K keep 8 (scale, min) pairs of 6 bits in 12 bytes: pairs 0-3 in the low six bits of
// bytes 0-3 (scales) and 4-7 (mins); pairs 4-7 in the nibbles of bytes 8-11 plus the top two
// bits of bytes 0-7.
void scale_min_k4(int j, const uint8_t* q, int& sc, int& m) {
    if (j < 4) {
        sc = q[j] & 63;
        m = q[j + 4] & 63;
    } else {
        sc = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
        m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
    }
}

void put_scale_min_k4(int j, uint8_t* q, int sc, int m) {
    if (j < 4) {
        q[j] = uint8_t((q[j] & 0xC0) | sc);
        q[j + 4] = uint8_t((q[j + 4] & 0xC0) | m);
    } else {
        q[j + 4] = uint8_t((sc & 0xF) | ((m & 0xF) << 4));
        q[j - 4] = uint8_t((q[j - 4] & 0x3F) | ((sc >> 4) << 6));
        q[j] = uint8_t((q[j] & 0x3F) | ((m >> 4) << 6));
    }
}

// ---- dequantization, one block ----

void dequant_q8_0(const uint8_t* b, float* y) {
    const float d = f16_at(b);
    for (int j = 0; j < 32; ++j) y[j] = d * float(int8_t(b[2 + j]));
}

// Q4_0/Q4_1/Q5_0/Q5_1: byte j holds value j in its low nibble and value j+16 in its high one;
// Q5's fifth bits are bit j (value j) and bit j+16 (value j+16) of a little-endian u32.
template <bool kFifthBit, bool kMin>
void dequant_q4_q5(const uint8_t* b, float* y) {
    const float d = f16_at(b);
    const float m = kMin ? f16_at(b + 2) : 0.0f;
    const uint8_t* p = b + (kMin ? 4 : 2);
    uint32_t qh = 0;
    if (kFifthBit) {
        std::memcpy(&qh, p, 4);
        p += 4;
    }
    const int offset = kMin ? 0 : (kFifthBit ? 16 : 8);
    for (int j = 0; j < 16; ++j) {
        int lo = p[j] & 0xF, hi = p[j] >> 4;
        if (kFifthBit) lo |= int((qh >> j) & 1u) << 4, hi |= int((qh >> (j + 16)) & 1u) << 4;
        if (kMin) {
            y[j] = d * float(lo) + m;
            y[j + 16] = d * float(hi) + m;
        } else {
            y[j] = d * float(lo - offset);
            y[j + 16] = d * float(hi - offset);
        }
    }
}

// Q4_K / Q5_K: four chunks of 64 values; chunk c's 32 bytes hold values c*64+l (low nibbles,
// sub-block 2c) and c*64+32+l (high nibbles, sub-block 2c+1); Q5_K's byte qh[l] holds their
// fifth bits at bits 2c and 2c+1.
template <bool kFifthBit>
void dequant_q4_q5_k(const uint8_t* b, float* y) {
    const float d = f16_at(b), dmin = f16_at(b + 2);
    const uint8_t* scales = b + 4;
    const uint8_t* qh = b + 16;
    const uint8_t* qs = b + (kFifthBit ? 48 : 16);
    for (int c = 0; c < 4; ++c) {
        for (int half = 0; half < 2; ++half) {
            int sc, m;
            scale_min_k4(2 * c + half, scales, sc, m);
            const float step = d * float(sc), low = dmin * float(m);
            for (int l = 0; l < 32; ++l) {
                int q = half ? qs[c * 32 + l] >> 4 : qs[c * 32 + l] & 0xF;
                if (kFifthBit) q |= ((qh[l] >> (2 * c + half)) & 1) << 4;
                y[c * 64 + half * 32 + l] = step * float(q) - low;
            }
        }
    }
}

// Q6_K: two halves of 128 values; in half h, for l < 32, ql[l] holds values l (low nibble) and
// l+64 (high), ql[l+32] values l+32 and l+96, and qh[l] the top two bits of l, l+32, l+64, l+96
// (bits 0-1, 2-3, 4-5, 6-7). Value e has the int8 scale of its 16-value sub-block, e / 16.
void dequant_q6_k(const uint8_t* b, float* y) {
    const uint8_t* ql = b;
    const uint8_t* qh = b + 128;
    const auto* sc = reinterpret_cast<const int8_t*>(b + 192);
    const float d = f16_at(b + 208);
    for (int h = 0; h < 2; ++h) {
        for (int l = 0; l < 32; ++l) {
            const int q[4] = {(ql[64 * h + l] & 0xF) | ((qh[32 * h + l] & 3) << 4),
                              (ql[64 * h + l + 32] & 0xF) | (((qh[32 * h + l] >> 2) & 3) << 4),
                              (ql[64 * h + l] >> 4) | (((qh[32 * h + l] >> 4) & 3) << 4),
                              (ql[64 * h + l + 32] >> 4) | (((qh[32 * h + l] >> 6) & 3) << 4)};
            for (int g = 0; g < 4; ++g) {
                const int e = 128 * h + 32 * g + l;
                y[e] = (d * float(sc[e / 16])) * float(q[g] - 32);
            }
        }
    }
}

// ---- quantization, one block ----

void quant_q8_0(const float* x, uint8_t* b) {
    float amax = 0.0f;
    for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(x[j]));
    const float d = put_f16(b, amax / 127.0f);
    for (int j = 0; j < 32; ++j) b[2 + j] = uint8_t(int8_t(d != 0.0f ? clamp_round(x[j] / d, -127, 127) : 0));
}

template <bool kFifthBit, bool kMin>
void quant_q4_q5(const float* x, uint8_t* b) {
    const int levels = kFifthBit ? 32 : 16;
    float d, m = 0.0f;
    if (kMin) {
        const auto [lo, hi] = std::minmax_element(x, x + 32);
        d = put_f16(b, (*hi - *lo) / float(levels - 1));
        m = put_f16(b + 2, *lo);
    } else {
        // The extreme value lands on the lowest level (-8 or -16), the one with no positive twin.
        d = put_f16(b, signed_absmax(x, 32) / -float(levels / 2));
    }
    uint8_t* p = b + (kMin ? 4 : 2);
    uint32_t qh = 0;
    uint8_t* qs = p + (kFifthBit ? 4 : 0);
    const int offset = kMin ? 0 : levels / 2;
    int q[32];
    for (int j = 0; j < 32; ++j)
        q[j] = d != 0.0f ? clamp_round((x[j] - m) / d + float(offset), 0, levels - 1) : offset;
    for (int j = 0; j < 16; ++j) {
        qs[j] = uint8_t((q[j] & 0xF) | ((q[j + 16] & 0xF) << 4));
        if (kFifthBit) qh |= uint32_t(q[j] >> 4) << j | uint32_t(q[j + 16] >> 4) << (j + 16);
    }
    if (kFifthBit) std::memcpy(p, &qh, 4);
}

template <bool kFifthBit>
void quant_q4_q5_k(const float* x, uint8_t* b) {
    const int top = kFifthBit ? 31 : 15;
    float scale[8], low[8];
    for (int s = 0; s < 8; ++s) {
        const auto [lo, hi] = std::minmax_element(x + 32 * s, x + 32 * s + 32);
        const float mn = std::min(*lo, 0.0f);  // a non-positive minimum: the stored min is unsigned
        scale[s] = (*hi - mn) / float(top);
        low[s] = -mn;
    }
    const float d = put_f16(b, *std::max_element(scale, scale + 8) / 63.0f);
    const float dmin = put_f16(b + 2, *std::max_element(low, low + 8) / 63.0f);
    uint8_t* scales = b + 4;
    std::memset(scales, 0, 12);
    uint8_t* qh = b + 16;
    uint8_t* qs = b + (kFifthBit ? 48 : 16);
    if (kFifthBit) std::memset(qh, 0, 32);
    for (int s = 0; s < 8; ++s) {
        const int sc = d != 0.0f ? clamp_round(scale[s] / d, 0, 63) : 0;
        const int m = dmin != 0.0f ? clamp_round(low[s] / dmin, 0, 63) : 0;
        put_scale_min_k4(s, scales, sc, m);
        const float step = d * float(sc), off = dmin * float(m);
        const int c = s / 2, half = s % 2;
        for (int l = 0; l < 32; ++l) {
            const int q = step != 0.0f ? clamp_round((x[32 * s + l] + off) / step, 0, top) : 0;
            uint8_t& byte = qs[c * 32 + l];
            byte = half ? uint8_t((byte & 0x0F) | ((q & 0xF) << 4)) : uint8_t(q & 0xF);
            if (kFifthBit) qh[l] |= uint8_t((q >> 4) << s);
        }
    }
}

void quant_q6_k(const float* x, uint8_t* b) {
    float scale[16];
    for (int s = 0; s < 16; ++s) scale[s] = signed_absmax(x + 16 * s, 16) / -32.0f;
    float amax = 0.0f;
    for (float s : scale) amax = std::max(amax, std::fabs(s));
    const float d = put_f16(b + 208, amax / 127.0f);
    auto* sc = reinterpret_cast<int8_t*>(b + 192);
    int q[256];
    for (int s = 0; s < 16; ++s) {
        sc[s] = int8_t(d != 0.0f ? clamp_round(scale[s] / d, -128, 127) : 0);
        const float step = d * float(sc[s]);
        for (int l = 0; l < 16; ++l)
            q[16 * s + l] = step != 0.0f ? clamp_round(x[16 * s + l] / step, -32, 31) + 32 : 32;
    }
    uint8_t* ql = b;
    uint8_t* qh = b + 128;
    for (int h = 0; h < 2; ++h) {
        for (int l = 0; l < 32; ++l) {
            const int* v = q + 128 * h + l;  // values l, l+32, l+64, l+96 of this half
            ql[64 * h + l] = uint8_t((v[0] & 0xF) | ((v[64] & 0xF) << 4));
            ql[64 * h + l + 32] = uint8_t((v[32] & 0xF) | ((v[96] & 0xF) << 4));
            qh[32 * h + l] = uint8_t((v[0] >> 4) | ((v[32] >> 4) << 2) | ((v[64] >> 4) << 4) | ((v[96] >> 4) << 6));
        }
    }
}

template <void (*Block)(const uint8_t*, float*)>
void dequant_blocks(DType t, const void* src, float* dst, int64_t n) {
    const auto* s = static_cast<const uint8_t*>(src);
    const int64_t bs = block_size(t), bb = block_bytes(t);
    for (int64_t i = 0; i < n / bs; ++i) Block(s + i * bb, dst + i * bs);
}

template <void (*Block)(const float*, uint8_t*)>
void quant_blocks(DType t, const float* src, void* dst, int64_t n) {
    auto* d = static_cast<uint8_t*>(dst);
    const int64_t bs = block_size(t), bb = block_bytes(t);
    for (int64_t i = 0; i < n / bs; ++i) Block(src + i * bs, d + i * bb);
}

}  // namespace

float fp8_e4m3_to_float(uint8_t b) { return kE4M3[b]; }
float fp8_e5m2_to_float(uint8_t b) { return half_to_float(uint16_t(b) << 8); }
uint8_t float_to_fp8_e4m3(float f) { return encode_minifloat(f, 3, 7, 0x7E, 0x7F); }
uint8_t float_to_fp8_e5m2(float f) { return encode_minifloat(f, 2, 15, 0x7B, 0x7F); }

void dequantize(DType dtype, const void* src, float* dst, int64_t n) {
    if (n % block_size(dtype) != 0)
        throw std::logic_error(std::string("dequantize: ") + std::to_string(n) + " values are not whole " +
                               dtype_name(dtype) + " blocks");
    const auto* s = static_cast<const uint8_t*>(src);
    switch (dtype) {
        case DType::F32: case DType::F16: case DType::BF16: return to_f32(src, dtype, dst, n);
        case DType::F8_E4M3: for (int64_t i = 0; i < n; ++i) dst[i] = kE4M3[s[i]]; return;
        case DType::F8_E5M2: for (int64_t i = 0; i < n; ++i) dst[i] = fp8_e5m2_to_float(s[i]); return;
        case DType::Q8_0: return dequant_blocks<dequant_q8_0>(dtype, src, dst, n);
        case DType::Q4_0: return dequant_blocks<dequant_q4_q5<false, false>>(dtype, src, dst, n);
        case DType::Q4_1: return dequant_blocks<dequant_q4_q5<false, true>>(dtype, src, dst, n);
        case DType::Q5_0: return dequant_blocks<dequant_q4_q5<true, false>>(dtype, src, dst, n);
        case DType::Q5_1: return dequant_blocks<dequant_q4_q5<true, true>>(dtype, src, dst, n);
        case DType::Q4_K: return dequant_blocks<dequant_q4_q5_k<false>>(dtype, src, dst, n);
        case DType::Q5_K: return dequant_blocks<dequant_q4_q5_k<true>>(dtype, src, dst, n);
        case DType::Q6_K: return dequant_blocks<dequant_q6_k>(dtype, src, dst, n);
    }
}

void quantize(DType dtype, const float* src, void* dst, int64_t n) {
    if (n % block_size(dtype) != 0)
        throw std::logic_error(std::string("quantize: ") + std::to_string(n) + " values are not whole " +
                               dtype_name(dtype) + " blocks");
    auto* d = static_cast<uint8_t*>(dst);
    switch (dtype) {
        case DType::F32: std::memcpy(dst, src, size_t(n) * 4); return;
        case DType::F16: case DType::BF16:
            for (int64_t i = 0; i < n; ++i) {
                const uint16_t h = dtype == DType::F16 ? float_to_half(src[i]) : float_to_bf16(src[i]);
                std::memcpy(d + 2 * i, &h, 2);
            }
            return;
        case DType::F8_E4M3: for (int64_t i = 0; i < n; ++i) d[i] = float_to_fp8_e4m3(src[i]); return;
        case DType::F8_E5M2: for (int64_t i = 0; i < n; ++i) d[i] = float_to_fp8_e5m2(src[i]); return;
        case DType::Q8_0: return quant_blocks<quant_q8_0>(dtype, src, dst, n);
        case DType::Q4_0: return quant_blocks<quant_q4_q5<false, false>>(dtype, src, dst, n);
        case DType::Q4_1: return quant_blocks<quant_q4_q5<false, true>>(dtype, src, dst, n);
        case DType::Q5_0: return quant_blocks<quant_q4_q5<true, false>>(dtype, src, dst, n);
        case DType::Q5_1: return quant_blocks<quant_q4_q5<true, true>>(dtype, src, dst, n);
        case DType::Q4_K: return quant_blocks<quant_q4_q5_k<false>>(dtype, src, dst, n);
        case DType::Q5_K: return quant_blocks<quant_q4_q5_k<true>>(dtype, src, dst, n);
        case DType::Q6_K: return quant_blocks<quant_q6_k>(dtype, src, dst, n);
    }
}

}  // namespace dit::kernels
