// Attention on the tensor cores: the flash-attention recurrence with both products (Q·Kᵀ and P·V)
// as bf16 WMMA (16x16x16, f32 accumulate), for head dims up to 128.
//
// A block of 4 warps takes 64 queries of one (batch, head); each warp owns 16 of them. Per tile
// of 64 keys: the block stages K and V (rounded to bf16, head dim zero-padded to a multiple of
// 16) in shared memory; each warp computes its 16x64 block of scores into shared memory, applies
// the scale, biases and groups there (so every variant of ops.h costs the same), runs the online
// softmax row by row (rescaling its rows of the f32 output accumulator, also in shared memory),
// rounds P to bf16 and adds P·V. Rows are warp-private, so only the K/V staging needs the whole
// block. Operands in bf16 put the error at ~1e-3 of the output (tests/backends/parity.cpp); the
// f32 kernel in attention.cu stays for exact runs and head dims over 128.
#include <cuda_bf16.h>
#include <mma.h>

#include <cmath>

#include "kernels/cuda/common.cuh"

namespace dit::kernels::cuda {
namespace {

using namespace nvcuda;

constexpr int kWarps = 4, kRows = 16 * kWarps;  // 64 queries a block
constexpr int kKeys = 64;                        // keys a tile
constexpr int kMaxDim = 128;

struct Smem {
    int dp;  // head dim padded to a multiple of 16
    // Byte offsets, each a multiple of 32 (WMMA needs 256-bit aligned fragment pointers).
    size_t q, k, v, s, p, o, m, l, bytes;
    explicit Smem(int64_t D) : dp(int((D + 15) / 16 * 16)) {
        size_t at = 0;
        auto take = [&](size_t n) {
            const size_t here = at;
            at += (n + 31) / 32 * 32;
            return here;
        };
        q = take(size_t(kRows) * dp * 2);
        k = take(size_t(kKeys) * dp * 2);
        v = take(size_t(kKeys) * dp * 2);
        s = take(size_t(kRows) * kKeys * 4);
        p = take(size_t(kRows) * kKeys * 2);
        o = take(size_t(kRows) * dp * 4);
        m = take(size_t(kRows) * 4);
        l = take(size_t(kRows) * 4);
        bytes = at;
    }
};

__global__ void __launch_bounds__(kWarps * 32) attention_tc_kernel(AttentionArgs a, Smem lay) {
    extern __shared__ __align__(128) unsigned char smem[];
    auto* qs = reinterpret_cast<__nv_bfloat16*>(smem + lay.q);
    auto* ks = reinterpret_cast<__nv_bfloat16*>(smem + lay.k);
    auto* vs = reinterpret_cast<__nv_bfloat16*>(smem + lay.v);
    auto* ss = reinterpret_cast<float*>(smem + lay.s);
    auto* ps = reinterpret_cast<__nv_bfloat16*>(smem + lay.p);
    auto* os = reinterpret_cast<float*>(smem + lay.o);
    auto* ms = reinterpret_cast<float*>(smem + lay.m);
    auto* ls = reinterpret_cast<float*>(smem + lay.l);
    const int dp = lay.dp, lane = threadIdx.x % 32, warp = threadIdx.x / 32;
    const int64_t b = blockIdx.z, h = blockIdx.y, i0 = int64_t(blockIdx.x) * kRows;
    const bool grouped = a.query_group && a.key_group;

    // Queries (zero past Lq and past D), the accumulator and the running max / sum.
    for (int t = threadIdx.x; t < kRows * dp; t += blockDim.x) {
        const int r = t / dp, d = t % dp;
        const int64_t i = i0 + r;
        const float x = (i < a.Lq && d < a.D) ? a.q[(b * a.Lq + i) * a.ldq + h * a.D + d] : 0.f;
        qs[t] = __float2bfloat16_rn(x);
        os[t] = 0.f;
    }
    for (int r = threadIdx.x; r < kRows; r += blockDim.x) ms[r] = -INFINITY, ls[r] = 0.f;

    const int row0 = warp * 16;  // this warp's rows of the block
    for (int64_t j0 = 0; j0 < a.Lk; j0 += kKeys) {
        const int tile = int(a.Lk - j0 < kKeys ? a.Lk - j0 : kKeys);
        __syncthreads();  // the previous tile's K/V are consumed (first time: the queries are in)
        for (int t = threadIdx.x; t < kKeys * dp; t += blockDim.x) {
            const int j = t / dp, d = t % dp;
            float kx = 0.f, vx = 0.f;
            if (j < tile && d < a.D) {
                const int64_t row = b * a.Lk + j0 + j;
                kx = a.k[row * a.ldk + h * a.D + d];
                vx = a.v[row * a.ldv + h * a.D + d];
            }
            ks[t] = __float2bfloat16_rn(kx);
            vs[t] = __float2bfloat16_rn(vx);
        }
        __syncthreads();

        // S[row0 .. row0+16, 0 .. 64] = Q · Kᵀ: Kᵀ(d, j) = K[j][d] is K read column-major.
        for (int n = 0; n < kKeys / 16; ++n) {
            wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc;
            wmma::fill_fragment(acc, 0.f);
            for (int kk = 0; kk < dp / 16; ++kk) {
                wmma::fragment<wmma::matrix_a, 16, 16, 16, __nv_bfloat16, wmma::row_major> fa;
                wmma::fragment<wmma::matrix_b, 16, 16, 16, __nv_bfloat16, wmma::col_major> fb;
                wmma::load_matrix_sync(fa, qs + row0 * dp + kk * 16, dp);
                wmma::load_matrix_sync(fb, ks + n * 16 * dp + kk * 16, dp);
                wmma::mma_sync(acc, fa, fb, acc);
            }
            wmma::store_matrix_sync(ss + row0 * kKeys + n * 16, acc, kKeys, wmma::mem_row_major);
        }
        __syncwarp();

        // Online softmax, one row at a time; lane c holds keys c and c + 32 of the tile.
        for (int r = row0; r < row0 + 16; ++r) {
            const int64_t i = i0 + r;
            const int32_t qg = grouped && i < a.Lq ? a.query_group[b * a.Lq + i] : 0;
            float s[2];
            bool vis[2];
            for (int e = 0; e < 2; ++e) {
                const int c = lane + 32 * e;
                const int64_t j = j0 + c;
                vis[e] = c < tile && i < a.Lq;
                if (vis[e] && grouped) {
                    const int32_t kg = a.key_group[b * a.Lk + j];
                    vis[e] = kg == 0 || kg == qg;
                }
                s[e] = -INFINITY;
                if (vis[e]) {
                    s[e] = a.scale * ss[r * kKeys + c];
                    if (a.position_bias) s[e] += a.position_bias[(h * a.Lq + i) * a.Lk + j];
                    if (a.key_bias) s[e] += a.key_bias[b * a.Lk + j];
                }
            }
            const float m_old = ms[r];
            const float m_tile = warp_max(fmaxf(vis[0] ? s[0] : -INFINITY, vis[1] ? s[1] : -INFINITY));
            const float m_new = fmaxf(m_old, m_tile);
            float p[2];
            for (int e = 0; e < 2; ++e) p[e] = vis[e] ? expf(s[e] - m_new) : 0.f;
            // Rounded to bf16 before it is summed too, so the normaliser matches what P·V adds.
            const __nv_bfloat16 p0 = __float2bfloat16_rn(p[0]), p1 = __float2bfloat16_rn(p[1]);
            ps[r * kKeys + lane] = p0;
            ps[r * kKeys + lane + 32] = p1;
            const float sum = warp_sum(__bfloat162float(p0) + __bfloat162float(p1));
            const float corr = m_new == -INFINITY || m_old == -INFINITY ? 0.f : expf(m_old - m_new);
            if (m_new != -INFINITY) {
                for (int d = lane; d < dp; d += 32) os[r * dp + d] *= corr;
            }
            __syncwarp();
            if (lane == 0) {
                ls[r] = ls[r] * corr + sum;
                ms[r] = m_new;
            }
        }
        __syncwarp();

        // O[rows] += P · V
        for (int n = 0; n < dp / 16; ++n) {
            wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc;
            wmma::load_matrix_sync(acc, os + row0 * dp + n * 16, dp, wmma::mem_row_major);
            for (int kk = 0; kk < kKeys / 16; ++kk) {
                wmma::fragment<wmma::matrix_a, 16, 16, 16, __nv_bfloat16, wmma::row_major> fa;
                wmma::fragment<wmma::matrix_b, 16, 16, 16, __nv_bfloat16, wmma::row_major> fb;
                wmma::load_matrix_sync(fa, ps + row0 * kKeys + kk * 16, kKeys);
                wmma::load_matrix_sync(fb, vs + kk * 16 * dp + n * 16, dp);
                wmma::mma_sync(acc, fa, fb, acc);
            }
            wmma::store_matrix_sync(os + row0 * dp + n * 16, acc, dp, wmma::mem_row_major);
        }
        __syncwarp();
    }

    // Each warp writes its rows: O / l, or zeros for a query that saw no key (ops.h).
    __syncwarp();
    for (int r = row0; r < row0 + 16; ++r) {
        const int64_t i = i0 + r;
        if (i >= a.Lq) break;
        const float inv = ms[r] == -INFINITY ? 0.f : 1.f / ls[r];
        float* out = a.out + (b * a.Lq + i) * a.ldo + h * a.D;
        for (int d = lane; d < a.D; d += 32) out[d] = os[r * dp + d] * inv;
    }
}

}  // namespace

bool attention_tc_supports(const AttentionArgs& a) { return a.D >= 1 && a.D <= kMaxDim && a.Lk >= 1; }

void attention_tc(cudaStream_t s, const AttentionArgs& a) {
    const Smem lay(a.D);
    static const bool raised = [] {
        DIT_CUDA(cudaFuncSetAttribute(attention_tc_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                      int(Smem(kMaxDim).bytes)));
        return true;
    }();
    (void)raised;
    const dim3 grid(unsigned((a.Lq + kRows - 1) / kRows), unsigned(a.H), unsigned(a.B));
    attention_tc_kernel<<<grid, kWarps * 32, lay.bytes, s>>>(a, lay);
    DIT_CUDA_LAUNCHED();
}

}  // namespace dit::kernels::cuda
