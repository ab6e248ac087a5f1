#pragma once
// GRAT's grouped sparse attention (ops.h, GratAttentionArgs): the one definition of which key
// blocks a query block sees, shared by the reference, the fast path and the CUDA kernel, and
// the settings check every backend runs before it starts.
#include <cstdint>
#include <vector>

#include "kernels/cpu/ops.h"

#if defined(__CUDACC__)
#define DIT_HOST_DEVICE __host__ __device__
#else
#define DIT_HOST_DEVICE
#endif

namespace dit::kernels::grat {

// Whether the queries of block (qy, qx) see the keys of block (ky, kx); blocks counted in
// blocks, not tokens. The neighbourhood keeps the local detail a DiT's attention maps hold; the
// criss-cross band keeps a long-range path across the whole image in one layer.
DIT_HOST_DEVICE inline bool sees(const GratAttentionArgs& a, int64_t qy, int64_t qx, int64_t ky, int64_t kx) {
    const int64_t dy = qy > ky ? qy - ky : ky - qy, dx = qx > kx ? qx - kx : kx - qx;
    return (dy <= a.radius && dx <= a.radius) || (a.criss_cross && (dy == 0 || dx == 0));
}

// Throws std::invalid_argument naming the setting: a group of 0 or less, a group that does not
// divide grid_h and grid_w, a negative radius, an empty grid.
void check(const GratAttentionArgs& a);

// The key tokens (raster indices) the queries of block `block` (raster over blocks) see, in
// raster order of their blocks and raster order inside each block.
std::vector<int32_t> key_tokens(const GratAttentionArgs& a, int64_t block);

// The fraction of the full score matrix the settings compute (for benchmarks and the log).
double density(const GratAttentionArgs& a);

void reference(const GratAttentionArgs& a);  // grat_attention.cpp: plain loops, double sums
void fast(const GratAttentionArgs& a);       // fast_grat_attention.cpp: packed tiles + OpenMP

}  // namespace dit::kernels::grat
