#pragma once
// What every .cu file of the CUDA backend shares: the error check that turns a failed call into
// a CudaError naming it, launch-size helpers and the internal entry points of each op family.
#include <cuda_runtime.h>

#include <cstdint>
#include <string>

#include "kernels/cuda/cuda.h"

namespace dit::kernels::cuda {

[[noreturn]] void fail(cudaError_t err, const char* call, const char* file, int line);

#define DIT_CUDA(call)                                                         \
    do {                                                                       \
        const cudaError_t dit_err_ = (call);                                   \
        if (dit_err_ != cudaSuccess) ::dit::kernels::cuda::fail(dit_err_, #call, __FILE__, __LINE__); \
    } while (0)
// After every launch: a bad configuration shows here, not at the next unrelated call.
#define DIT_CUDA_LAUNCHED() DIT_CUDA(cudaGetLastError())

inline unsigned blocks_for(int64_t n, int threads) { return unsigned((n + threads - 1) / threads); }

// Grid-stride loops keep one launch shape for any n; this many blocks fill an H100 several times.
inline unsigned elementwise_blocks(int64_t n, int threads = 256) {
    const int64_t b = (n + threads - 1) / threads;
    return unsigned(b < 1 ? 1 : (b > 65535 ? 65535 : b));
}

// Grid-stride loop over [0, n) for the elementwise launches (kThreads per block).
constexpr int kThreads = 256;
#define DIT_GRID_STRIDE(i, n) \
    for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < (n); i += int64_t(gridDim.x) * blockDim.x)

// Reductions across a warp, the result in every lane.
__device__ inline float warp_sum(float v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}
__device__ inline float warp_max(float v) {
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

// One key tile of the online softmax (the flash-attention recurrence) for a warp's query, shared
// by attention.cu and grat_attention.cu: lane j holds the score s of the tile's key j and whether
// that key is visible at all; vs holds the tile's values [tile][D]. m, l and acc (this lane's
// output columns lane + 32e) carry the running max, sum and weighted values across tiles.
template <int DL>
__device__ inline void online_softmax_tile(float s, bool visible, int64_t tile, const float* vs, int64_t D, float& m,
                                           float& l, float (&acc)[DL]) {
    const int lane = threadIdx.x % 32;
    // The max over visible keys only: a -FLT_MAX bias is a (tiny) weight, not an absence.
    const float m_new = fmaxf(m, warp_max(visible ? s : -INFINITY));
    const float corr = m == -INFINITY ? 0.f : expf(m - m_new);
    const float p = visible ? expf(s - m_new) : 0.f;
    l = l * corr + warp_sum(p);
#pragma unroll
    for (int e = 0; e < DL; ++e) acc[e] *= corr;
    for (int jj = 0; jj < tile; ++jj) {
        const float pj = __shfl_sync(0xffffffffu, p, jj);
        const float* vr = vs + jj * D;
#pragma unroll
        for (int e = 0; e < DL; ++e) {
            const int64_t d = lane + 32 * e;
            if (d < D) acc[e] = fmaf(pj, vr[d], acc[e]);
        }
    }
    m = m_new;
}

// ---- op families, one .cu each; all run on `stream` ----

// elementwise.cu
// y[m, n] += b[n] (y: [M, N] with row stride ldy): a linear's bias when no epilogue adds it.
void add_bias(cudaStream_t s, float* y, const float* b, int64_t M, int64_t N, int64_t ldy);
// y[n, c, p] += b[c] for y: [N, C, P]: a convolution's bias.
void add_channel_bias(cudaStream_t s, float* y, const float* b, int64_t N, int64_t C, int64_t P);
void modulate(cudaStream_t s, float* x, const float* shift, const float* scale, int64_t B, int64_t L, int64_t C);
void add_gated(cudaStream_t s, float* x, const float* y, const float* gate, int64_t B, int64_t L, int64_t C);
void gelu_tanh(cudaStream_t s, float* x, int64_t n);
void silu(cudaStream_t s, float* x, int64_t n);
void mul(cudaStream_t s, float* x, const float* y, int64_t n);
void upsample_nearest2x(cudaStream_t s, const float* x, float* y, int64_t N, int64_t C, int64_t H, int64_t W);
void gather_tokens(cudaStream_t s, const float* src, int64_t src_rows, float* dst, int64_t dst_rows,
                   const int32_t* index, int64_t n, int64_t B, int64_t C);
void scatter_tokens(cudaStream_t s, const float* src, int64_t src_rows, float* dst, int64_t dst_rows,
                    const int32_t* index, int64_t n, int64_t B, int64_t C);
// layout ops (ops.h): affine, transpose, adaln_modulation, patchify, unpatchify
void affine(cudaStream_t s, float* x, int64_t n, float a, float b);
void transpose(cudaStream_t s, const float* x, float* y, int64_t N, int64_t A, int64_t B);
void adaln_modulation(cudaStream_t s, const float* table, const float* emb, float* out, int64_t J, int64_t B, int64_t D);
void patchify(cudaStream_t s, const float* x, float* patches, int64_t B, int64_t C, int64_t H, int64_t W, int64_t p);
void unpatchify(cudaStream_t s, const float* tokens, float* out, int64_t B, int64_t C, int64_t H, int64_t W, int64_t p);
// dst[i] = bf16(src[i]), round to nearest even (the GEMM's activation operand).
void to_bf16(cudaStream_t s, const float* src, uint16_t* dst, int64_t n);
// im2col of rows [oy0, oy0 + rows) of the output for image n: col[(ci*KH + ky)*KW + kx, pix].
void im2col(cudaStream_t s, const Conv2dArgs& a, int64_t n, int64_t oy0, int64_t rows, float* col);

// norms.cu
void layer_norm(cudaStream_t s, const float* x, float* y, int64_t rows, int64_t cols, float eps,
                const float* gamma, const float* beta);
// layer_norm without affine parameters, then y[b, l] * (1 + scale[b]) + shift[b], in one pass.
void layer_norm_modulate(cudaStream_t s, const float* x, float* y, int64_t B, int64_t L, int64_t C, float eps,
                         const float* shift, const float* scale);
void rms_norm(cudaStream_t s, const float* x, float* y, int64_t rows, int64_t cols, float eps, const float* gamma);
void group_norm(cudaStream_t s, const float* x, float* y, int64_t N, int64_t C, int64_t HW, int64_t groups,
                float eps, const float* gamma, const float* beta);

// attention.cu: f32 on the CUDA cores, any head dim up to 512, to f32 accuracy
void attention_f32(cudaStream_t s, const AttentionArgs& a);
// attention_tc.cu: bf16 tensor cores, head dims up to 128 and at least one key
bool attention_tc_supports(const AttentionArgs& a);
void attention_tc(cudaStream_t s, const AttentionArgs& a);

// ---- the Sana text encoder (Gemma-2) and autoencoder (AutoencoderDC) ops, one .cu each ----
// pixel_shuffle.cu: the space-to-channel moves and the shortcuts' channel mean / repeat
void pixel_unshuffle(cudaStream_t s, const float* x, float* y, int64_t N, int64_t C, int64_t H, int64_t W, int64_t r);
void pixel_shuffle(cudaStream_t s, const float* x, float* y, int64_t N, int64_t C, int64_t H, int64_t W, int64_t r);
void channel_mean(cudaStream_t s, const float* x, float* y, int64_t N, int64_t C, int64_t G, int64_t P);
void channel_repeat(cudaStream_t s, const float* x, float* y, int64_t N, int64_t C, int64_t R, int64_t P);
// rms_norm_affine.cu
void rms_norm_affine(cudaStream_t s, const float* x, float* y, int64_t rows, int64_t cols, float eps,
                     const float* gamma, float gamma_offset, const float* beta);
// rotary_embedding.cu
void rotary_embedding(cudaStream_t s, float* x, const float* cos, const float* sin, int64_t B, int64_t L, int64_t H,
                      int64_t D, int64_t ld);
// gqa_attention.cu
void gqa_attention(cudaStream_t s, const GqaAttentionArgs& a);
// grat_attention.cu: GRAT's grouped sparse attention in f32 (settings checked as on the CPU)
void grat_attention(cudaStream_t s, const GratAttentionArgs& a);
// relu.cu
void relu(cudaStream_t s, float* x, int64_t n);
// relu_linear_attention.cu
void relu_linear_attention_nchw(cudaStream_t s, const float* qkv, float* out, int64_t B, int64_t heads, int64_t D,
                                int64_t P, float eps);

}  // namespace dit::kernels::cuda
