#pragma once
// Reproducible random inputs for the kernel suites (uniform values from a seeded Mersenne
// Twister, so a failing case is the same on every run) and the error measure they compare by.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

namespace dit::testing {

inline std::vector<float> random_vec(size_t n, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> dist(lo, hi);
    std::vector<float> v(n);
    for (float& x : v) x = dist(rng);
    return v;
}

// max |got - want| relative to max |want|; infinite when `got` holds a non-finite value.
inline double rel_err(const std::vector<float>& got, const std::vector<float>& want) {
    double err = 0.0, mag = 1e-30;
    for (size_t i = 0; i < got.size(); ++i) {
        if (!std::isfinite(got[i])) return INFINITY;
        err = std::max(err, double(std::fabs(got[i] - want[i])));
        mag = std::max(mag, double(std::fabs(want[i])));
    }
    return err / mag;
}

}  // namespace dit::testing
