// GRAT's grouped sparse attention as the plainest loops (the reference backend's), accumulating
// in double like kernels/cpu/reference.cpp, plus the settings check and the key sets every CPU
// path shares.
#include "kernels/cpu/grat_attention.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace dit::kernels::grat {

void check(const GratAttentionArgs& a) {
    const std::string grid = std::to_string(a.grid_h) + "x" + std::to_string(a.grid_w);
    if (a.grid_h <= 0 || a.grid_w <= 0)
        throw std::invalid_argument("grouped attention: the token grid " + grid + " is empty");
    if (a.group <= 0)
        throw std::invalid_argument("grouped attention: the group size must be at least 1 token, got " +
                                    std::to_string(a.group));
    if (a.grid_h % a.group != 0 || a.grid_w % a.group != 0)
        throw std::invalid_argument("grouped attention: the group size " + std::to_string(a.group) +
                                    " does not divide the " + grid + " token grid");
    if (a.radius < 0)
        throw std::invalid_argument("grouped attention: the neighbourhood radius must be 0 or more, got " +
                                    std::to_string(a.radius));
}

std::vector<int32_t> key_tokens(const GratAttentionArgs& a, int64_t block) {
    const int64_t G = a.group, by = a.grid_h / G, bx = a.grid_w / G;
    const int64_t qy = block / bx, qx = block % bx;
    std::vector<int32_t> keys;
    for (int64_t ky = 0; ky < by; ++ky)
        for (int64_t kx = 0; kx < bx; ++kx) {
            if (!sees(a, qy, qx, ky, kx)) continue;
            for (int64_t r = 0; r < G; ++r)
                for (int64_t c = 0; c < G; ++c) keys.push_back(int32_t((ky * G + r) * a.grid_w + kx * G + c));
        }
    return keys;
}

double density(const GratAttentionArgs& a) {
    check(a);
    const int64_t blocks = (a.grid_h / a.group) * (a.grid_w / a.group);
    double seen = 0.0;
    for (int64_t q = 0; q < blocks; ++q) seen += double(key_tokens(a, q).size());
    return seen / (double(blocks) * double(a.grid_h * a.grid_w));
}

// q, k, v: [B, L, H*D] -> out: [B, L, H*D], L = grid_h * grid_w
void reference(const GratAttentionArgs& a) {
    check(a);
    const int64_t G = a.group, L = a.grid_h * a.grid_w, bx = a.grid_w / G;
    std::vector<double> s;
    for (int64_t b = 0; b < a.B; ++b)
        for (int64_t i = 0; i < L; ++i) {
            const int64_t block = (i / a.grid_w / G) * bx + (i % a.grid_w) / G;
            const std::vector<int32_t> keys = key_tokens(a, block);
            s.resize(keys.size());
            for (int64_t h = 0; h < a.H; ++h) {
                const float* q = a.q + (b * L + i) * a.ldq + h * a.D;
                double mx = -INFINITY;
                for (size_t j = 0; j < keys.size(); ++j) {
                    const float* k = a.k + (b * L + keys[j]) * a.ldk + h * a.D;
                    double dot = 0.0;
                    for (int64_t d = 0; d < a.D; ++d) dot += double(q[d]) * k[d];
                    s[j] = dot * a.scale;
                    mx = std::max(mx, s[j]);
                }
                double sum = 0.0;
                for (double& e : s) sum += (e = std::exp(e - mx));
                float* o = a.out + (b * L + i) * a.ldo + h * a.D;
                for (int64_t d = 0; d < a.D; ++d) {
                    double acc = 0.0;
                    for (size_t j = 0; j < keys.size(); ++j) acc += s[j] * a.v[(b * L + keys[j]) * a.ldv + h * a.D + d];
                    o[d] = float(acc / sum);
                }
            }
        }
}

}  // namespace dit::kernels::grat
