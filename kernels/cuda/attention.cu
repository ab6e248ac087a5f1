// Multi-head attention with the reference's biases and groups, as one online-softmax pass over
// key tiles (the flash-attention recurrence), in f32 on the CUDA cores.
//
// Layout: a block of 8 warps takes 8 consecutive queries of one (batch, head); each tile of 32
// keys and their values is staged once in shared memory for all 8. Within a warp, lane j scores
// key j of the tile (a full dot product, no shuffles per key), the warp agrees on the tile's max
// and sum, then every lane accumulates its D/32 output columns. Cost per tile and query: D + 32 *
// ceil(D/32) FMAs and about 40 shuffles, so this is the correct, general baseline (any head dim
// up to 512, position and key biases, region groups, strided rows) and the exact one; the
// tensor-core kernel (attention_tc.cu) runs head dims up to 128 unless exact attention is asked for.
#include <cmath>
#include <string>

#include "kernels/cuda/common.cuh"

namespace dit::kernels::cuda {
namespace {

constexpr int kWarps = 8;   // queries per block
constexpr int kTile = 32;   // keys per tile: one per lane
constexpr int kMaxLaneColumns = 16;  // D <= 16 * 32 = 512 (the VAE's single-head mid attention)

// Shared memory: K tile [kTile][kstride] (kstride odd, so lane j's row start avoids lane j+1's
// bank), V tile [kTile][D], queries [kWarps][D].
template <int DL>
__global__ void __launch_bounds__(kWarps * 32) attention_kernel(AttentionArgs a, int64_t kstride) {
    extern __shared__ float smem[];
    float* ks = smem;
    float* vs = ks + kTile * kstride;
    float* qs = vs + kTile * a.D;
    const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
    const int64_t b = blockIdx.z, h = blockIdx.y, i = int64_t(blockIdx.x) * kWarps + warp;
    const bool live = i < a.Lq;
    const bool grouped = a.query_group && a.key_group;
    const int32_t qg = grouped && live ? a.query_group[b * a.Lq + i] : 0;

    if (live)
        for (int64_t d = lane; d < a.D; d += 32) qs[warp * a.D + d] = a.q[(b * a.Lq + i) * a.ldq + h * a.D + d];

    float acc[DL];
#pragma unroll
    for (int e = 0; e < DL; ++e) acc[e] = 0.f;
    float m = -INFINITY, l = 0.f;

    for (int64_t j0 = 0; j0 < a.Lk; j0 += kTile) {
        const int64_t tile = a.Lk - j0 < kTile ? a.Lk - j0 : int64_t(kTile);
        __syncthreads();  // the previous tile is consumed (and, first time, the queries are in)
        for (int64_t t = threadIdx.x; t < tile * a.D; t += blockDim.x) {
            const int64_t j = t / a.D, d = t % a.D;
            const int64_t row = b * a.Lk + j0 + j;
            ks[j * kstride + d] = a.k[row * a.ldk + h * a.D + d];
            vs[j * a.D + d] = a.v[row * a.ldv + h * a.D + d];
        }
        __syncthreads();
        if (!live) continue;

        // Lane j: the score of key j0 + j, or "not visible" (no weight at all, unlike a bias).
        const int64_t j = j0 + lane;
        bool visible = lane < tile;
        if (visible && grouped) {
            const int32_t kg = a.key_group[b * a.Lk + j];
            visible = kg == 0 || kg == qg;
        }
        float s = -INFINITY;
        if (visible) {
            const float* q = qs + warp * a.D;
            const float* k = ks + lane * kstride;
            float dot = 0.f;
            for (int64_t d = 0; d < a.D; ++d) dot = fmaf(q[d], k[d], dot);
            s = a.scale * dot;
            if (a.position_bias) s += a.position_bias[(h * a.Lq + i) * a.Lk + j];
            if (a.key_bias) s += a.key_bias[b * a.Lk + j];
        }
        const unsigned seen = __ballot_sync(0xffffffffu, visible);
        if (!seen) continue;
        online_softmax_tile<DL>(s, visible, tile, vs, a.D, m, l, acc);
    }
    if (!live) return;
    float* o = a.out + (b * a.Lq + i) * a.ldo + h * a.D;
    const float inv = m == -INFINITY ? 0.f : 1.f / l;  // no visible key: a row of zeros (ops.h)
#pragma unroll
    for (int e = 0; e < DL; ++e) {
        const int64_t d = lane + 32 * e;
        if (d < a.D) o[d] = acc[e] * inv;
    }
}

template <int DL>
void launch(cudaStream_t s, const AttentionArgs& a) {
    const int64_t kstride = a.D % 2 ? a.D : a.D + 1;
    const size_t bytes = sizeof(float) * size_t(kTile * kstride + kTile * a.D + kWarps * a.D);
    // Once per instantiation: lift the 48 KB default to what its largest head dim needs.
    static const bool raised = [] {
        DIT_CUDA(cudaFuncSetAttribute(attention_kernel<DL>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                      int(sizeof(float) * (kTile * (32 * DL + 1) + (kTile + kWarps) * 32 * DL))));
        return true;
    }();
    (void)raised;
    const dim3 grid(unsigned((a.Lq + kWarps - 1) / kWarps), unsigned(a.H), unsigned(a.B));
    attention_kernel<DL><<<grid, kWarps * 32, bytes, s>>>(a, kstride);
    DIT_CUDA_LAUNCHED();
}

}  // namespace

void attention_f32(cudaStream_t s, const AttentionArgs& a) {
    if (a.D < 1 || a.D > 32 * kMaxLaneColumns)
        throw CudaError("CUDA attention: head dim " + std::to_string(a.D) + " is outside 1.." +
                        std::to_string(32 * kMaxLaneColumns));
    switch ((a.D + 31) / 32) {
        case 1: return launch<1>(s, a);
        case 2: return launch<2>(s, a);
        case 3: return launch<3>(s, a);
        case 4: return launch<4>(s, a);
        case 5: case 6: return launch<6>(s, a);
        case 7: case 8: return launch<8>(s, a);
        case 9: case 10: case 11: case 12: return launch<12>(s, a);
        default: return launch<16>(s, a);
    }
}

}  // namespace dit::kernels::cuda
