#pragma once
// What every benchmark prints about the machine it ran on, and the random inputs they share.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "engine/tensor.h"

namespace dit::bench {

inline std::string cpu_model() {
    std::ifstream f("/proc/cpuinfo");
    for (std::string line; std::getline(f, line);)
        if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
    return "unknown CPU";
}

// The CPU's flags that decide which kernels can run (SIMD width, int8 dot products, AMX).
inline std::string cpu_flags() {
    std::ifstream f("/proc/cpuinfo");
    for (std::string line; std::getline(f, line);) {
        if (line.rfind("flags", 0) != 0) continue;
        std::istringstream words(line.substr(line.find(':') + 1));
        std::string out;
        for (std::string w; words >> w;)
            if (w == "avx2" || w == "fma" || w == "f16c" || w.rfind("avx512", 0) == 0 || w == "avx_vnni" ||
                w.rfind("amx", 0) == 0)
                out += (out.empty() ? "" : " ") + w;
        return out;
    }
    return "unknown";
}

// The median of `runs` timed calls of f, in seconds.
template <typename F>
double median_seconds(int runs, F&& f) {
    std::vector<double> t;
    for (int i = 0; i < runs; ++i) {
        const auto a = std::chrono::steady_clock::now();
        f();
        t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count());
    }
    std::sort(t.begin(), t.end());
    return t[t.size() / 2];
}

inline double peak_rss_mib() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss / 1024.0;
}

inline Tensor randn(Shape shape, std::mt19937& rng) {
    std::normal_distribution<float> n(0.f, 1.f);
    Tensor t(std::move(shape));
    for (int64_t i = 0; i < t.numel(); ++i) t[i] = n(rng);
    return t;
}

}  // namespace dit::bench
