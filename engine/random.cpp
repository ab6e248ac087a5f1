#include "engine/random.h"

#include <algorithm>
#include <cmath>

#include "engine/error.h"

namespace dit {
namespace {

constexpr uint32_t kMul0 = 0xD2511F53u, kMul1 = 0xCD9E8D57u;    // Random123's multipliers
constexpr uint32_t kWeyl0 = 0x9E3779B9u, kWeyl1 = 0xBB67AE85u;  // key schedule increments
constexpr double kTwoPi = 6.283185307179586;                    // the double nearest 2 pi
constexpr double kInv2Pow32 = 1.0 / 4294967296.0;

inline void mulhilo(uint32_t a, uint32_t b, uint32_t& hi, uint32_t& lo) {
    const uint64_t p = uint64_t(a) * uint64_t(b);
    hi = uint32_t(p >> 32);
    lo = uint32_t(p);
}

// Box-Muller on one pair of words; doubles throughout so numpy gives the same f32 values.
inline void box_muller(uint32_t wa, uint32_t wb, float& za, float& zb) {
    const double ua = (double(wa) + 0.5) * kInv2Pow32;
    const double ub = (double(wb) + 0.5) * kInv2Pow32;
    const double r = std::sqrt(-2.0 * std::log(ua));
    const double theta = kTwoPi * ub;
    za = float(r * std::cos(theta));
    zb = float(r * std::sin(theta));
}

}  // namespace

std::array<uint32_t, 4> philox4x32_10(std::array<uint32_t, 4> c, std::array<uint32_t, 2> k) {
    for (int round = 0; round < 10; ++round) {
        if (round > 0) {
            k[0] += kWeyl0;
            k[1] += kWeyl1;
        }
        uint32_t hi0, lo0, hi1, lo1;
        mulhilo(kMul0, c[0], hi0, lo0);
        mulhilo(kMul1, c[2], hi1, lo1);
        c = {hi1 ^ c[1] ^ k[0], lo1, hi0 ^ c[3] ^ k[1], lo0};
    }
    return c;
}

void NoiseStream::fill(float* out, int64_t n) {
    if (n < 0) throw Error("NoiseStream: negative element count " + std::to_string(n));
    const std::array<uint32_t, 2> key{uint32_t(seed_), uint32_t(seed_ >> 32)};
    const uint32_t s0 = uint32_t(stream_), s1 = uint32_t(stream_ >> 32);
    float z[4];
    for (int64_t i = 0; i < n; i += 4) {
        const uint64_t b = block_++;
        const auto w = philox4x32_10({uint32_t(b), uint32_t(b >> 32), s0, s1}, key);
        box_muller(w[0], w[1], z[0], z[1]);
        box_muller(w[2], w[3], z[2], z[3]);
        const int64_t m = std::min<int64_t>(4, n - i);
        for (int64_t j = 0; j < m; ++j) out[i + j] = z[j];
    }
}

Tensor NoiseStream::next(const Shape& shape) {
    Tensor t(shape);
    fill(t.data(), t.numel());
    return t;
}

Tensor randn(const Shape& shape, uint64_t seed) { return NoiseStream(seed, 0).next(shape); }

}  // namespace dit
