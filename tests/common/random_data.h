#pragma once
// Reproducible random inputs for the kernel suites: uniform values from a seeded Mersenne
// Twister, so a failing case is the same on every run.
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

}  // namespace dit::testing
