// GRAT's grouped sparse attention (ops.h, GratAttentionArgs) in f32 on the CUDA cores, with the
// online-softmax recurrence of attention.cu restricted to the key blocks a query block sees.
//
// Layout: a block of 8 warps takes 8 queries of one query block (GRAT's group) for one (batch,
// head), so the 8 share every key tile they stage. The key blocks are walked in raster order and
// skipped unless grat::sees() keeps them (the rule the CPU paths share, grat_attention.h); each
// kept block's G² tokens go through shared memory 32 at a time, lane j scoring key j of the tile.
// Head dims up to 128 (PixArt's 72); an exact baseline for the parity check rather than a tuned
// kernel: a tensor-core version would stage whole G x G blocks the way attention_tc.cu does.
#include <cmath>
#include <stdexcept>
#include <string>

#include "kernels/cpu/grat_attention.h"
#include "kernels/cuda/common.cuh"

namespace dit::kernels::cuda {
namespace {

constexpr int kWarps = 8;  // queries per block, all of one query block
constexpr int kTile = 32;  // keys per tile: one per lane
constexpr int kMaxLaneColumns = 4;  // D <= 128

template <int DL>
__global__ void __launch_bounds__(kWarps * 32) grat_kernel(GratAttentionArgs a, int64_t kstride, int64_t chunks) {
    extern __shared__ float smem[];
    float* ks = smem;                // [kTile][kstride]
    float* vs = ks + kTile * kstride;  // [kTile][D]
    float* qs = vs + kTile * a.D;    // [kWarps][D]
    const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
    const int64_t G = a.group, L = a.grid_h * a.grid_w, nbx = a.grid_w / G, nby = a.grid_h / G;
    const int64_t blk = blockIdx.x / chunks, qi = (blockIdx.x % chunks) * kWarps + warp;
    const int64_t h = blockIdx.y, b = blockIdx.z;
    const int64_t qy = blk / nbx, qx = blk % nbx;
    const bool live = qi < G * G;
    const int64_t i = (qy * G + qi / G) * a.grid_w + qx * G + qi % G;  // the query's token

    if (live)
        for (int64_t d = lane; d < a.D; d += 32) qs[warp * a.D + d] = a.q[(b * L + i) * a.ldq + h * a.D + d];

    float acc[DL];
#pragma unroll
    for (int e = 0; e < DL; ++e) acc[e] = 0.f;
    float m = -INFINITY, l = 0.f;

    for (int64_t ky = 0; ky < nby; ++ky)
        for (int64_t kx = 0; kx < nbx; ++kx) {
            if (!grat::sees(a, qy, qx, ky, kx)) continue;  // the same for the whole block
            for (int64_t t0 = 0; t0 < G * G; t0 += kTile) {
                const int64_t tile = G * G - t0 < kTile ? G * G - t0 : int64_t(kTile);
                __syncthreads();  // the previous tile is consumed (and, first time, the queries are in)
                for (int64_t t = threadIdx.x; t < tile * a.D; t += blockDim.x) {
                    const int64_t j = t / a.D, d = t % a.D, r = (t0 + j) / G, c = (t0 + j) % G;
                    const int64_t row = b * L + (ky * G + r) * a.grid_w + kx * G + c;
                    ks[j * kstride + d] = a.k[row * a.ldk + h * a.D + d];
                    vs[j * a.D + d] = a.v[row * a.ldv + h * a.D + d];
                }
                __syncthreads();
                if (!live) continue;
                const bool visible = lane < tile;
                float s = -INFINITY;
                if (visible) {
                    const float* q = qs + warp * a.D;
                    const float* k = ks + lane * kstride;
                    float dot = 0.f;
                    for (int64_t d = 0; d < a.D; ++d) dot = fmaf(q[d], k[d], dot);
                    s = a.scale * dot;
                }
                online_softmax_tile<DL>(s, visible, tile, vs, a.D, m, l, acc);
            }
        }
    if (!live) return;
    float* o = a.out + (b * L + i) * a.ldo + h * a.D;
    const float inv = 1.f / l;  // every query sees at least its own block
#pragma unroll
    for (int e = 0; e < DL; ++e) {
        const int64_t d = lane + 32 * e;
        if (d < a.D) o[d] = acc[e] * inv;
    }
}

template <int DL>
void launch(cudaStream_t s, const GratAttentionArgs& a) {
    const int64_t kstride = a.D % 2 ? a.D : a.D + 1;
    const size_t bytes = sizeof(float) * size_t(kTile * kstride + kTile * a.D + kWarps * a.D);
    const int64_t chunks = (a.group * a.group + kWarps - 1) / kWarps;
    const int64_t blocks = (a.grid_h / a.group) * (a.grid_w / a.group);
    const dim3 grid(unsigned(blocks * chunks), unsigned(a.H), unsigned(a.B));
    grat_kernel<DL><<<grid, kWarps * 32, bytes, s>>>(a, kstride, chunks);
    DIT_CUDA_LAUNCHED();
}

}  // namespace

void grat_attention(cudaStream_t s, const GratAttentionArgs& a) {
    grat::check(a);
    if (a.B == 0 || a.H == 0) return;
    if (a.D < 1 || a.D > 32 * kMaxLaneColumns)
        throw CudaError("CUDA grouped attention: head dim " + std::to_string(a.D) + " is outside 1.." +
                        std::to_string(32 * kMaxLaneColumns));
    switch ((a.D + 31) / 32) {
        case 1: return launch<1>(s, a);
        case 2: return launch<2>(s, a);
        case 3: return launch<3>(s, a);
        default: return launch<4>(s, a);
    }
}

}  // namespace dit::kernels::cuda
