#pragma once
// The narrow op interface every backend implements. Raw f32 pointers and explicit sizes keep
// kernels free of the engine's types. `reference()` is the plain, obviously-correct loop of each
// op; `fast()` (OpenBLAS GEMM, vectorised loops, OpenMP over both cores) is checked against it op
// by op in tests/kernels. A future CUDA backend implements the same interface.
//
// Layout conventions: matrices are row-major; images are NCHW; token sequences are [B, L, C].
//
// Weights may be f16/bf16/fp8 or GGUF blocks (kernels/cpu/dtype.h): big matrices stay in the mmapped checkpoint in
// their file format and only the linear that takes a WeightRef reads them, widening to f32 as it
// goes; every other op is f32 throughout.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <stdexcept>

#include "kernels/cpu/dtype.h"

namespace dit::kernels {

// A backend ran out of its memory (a GPU's, or isolated()'s test limit). The engine answers it by
// generating on the CPU instead (engine/pipeline/engine.cpp).
struct OutOfMemory : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct AttentionArgs {
    // q: [B, Lq, H*D] with row stride ldq (floats between consecutive tokens); k, v: [B, Lk, H*D]
    // with strides ldk, ldv; out: [B, Lq, H*D] with stride ldo. Head h uses columns [h*D, h*D+D).
    const float* q = nullptr;
    const float* k = nullptr;
    const float* v = nullptr;
    float* out = nullptr;
    int64_t B = 0, Lq = 0, Lk = 0, H = 0, D = 0;
    int64_t ldq = 0, ldk = 0, ldv = 0, ldo = 0;
    float scale = 1.0f;  // multiplies q·k before the biases are added
    // Optional additive bias shared by the batch, [H, Lq, Lk] (T5's relative position bias).
    const float* position_bias = nullptr;
    // Optional additive bias per key, [B, Lk] (0 to keep, a large negative value to drop a
    // padding token). A query whose keys are all dropped gets the softmax of the raw scores plus
    // that constant, i.e. it stays finite, as PyTorch's additive masks do.
    const float* key_bias = nullptr;
    // Optional groups for region-masked attention (regional prompts): query_group [B, Lq] and
    // key_group [B, Lk]. A key of group 0 is seen by every query; a key of group g > 0 only by
    // queries of group g. Keys a query cannot see get no weight at all (not a large negative
    // bias), so the result equals attention over that query's visible keys alone. A query that
    // sees no key at all gets an output row of zeros (there is no distribution to average over).
    // Both pointers or neither: with only one set, groups are ignored.
    const int32_t* query_group = nullptr;
    const int32_t* key_group = nullptr;
};

struct Conv2dArgs {
    const float* x = nullptr;  // [N, Cin, H, W]
    const float* w = nullptr;  // [Cout, Cin, KH, KW]
    const float* b = nullptr;  // [Cout] or null
    float* y = nullptr;        // [N, Cout, OH, OW]
    int64_t N = 0, Cin = 0, H = 0, W = 0, Cout = 0, KH = 0, KW = 0;
    int64_t stride = 1;
    // Zero padding on each side; asymmetric so the VAE encoder's (0,1,0,1) downsample is exact.
    int64_t pad_top = 0, pad_bottom = 0, pad_left = 0, pad_right = 0;
    int64_t out_h() const { return (H + pad_top + pad_bottom - KH) / stride + 1; }
    int64_t out_w() const { return (W + pad_left + pad_right - KW) / stride + 1; }
};

// Gemma-2's self-attention (gqa_attention): grouped-query, causal, with logit soft-capping and
// an optional sliding window. q: [B, L, H*D] (row stride ldq); k, v: [B, L, Hkv*D] (ldk, ldv);
// out: [B, L, H*D] (ldo). Query head h reads key/value head h / (H / Hkv).
struct GqaAttentionArgs {
    const float* q = nullptr;
    const float* k = nullptr;
    const float* v = nullptr;
    float* out = nullptr;
    int64_t B = 0, L = 0, H = 0, Hkv = 0, D = 0;
    int64_t ldq = 0, ldk = 0, ldv = 0, ldo = 0;
    float scale = 1.0f;    // multiplies q·k
    float softcap = 0.0f;  // > 0: score = softcap * tanh(score / softcap), after scale, before masking
    int64_t window = 0;    // > 0: query i sees only keys j with i - j < window (sliding layers)
    bool causal = true;    // query i sees keys j <= i
    // Optional per-key keep flags [B, L] (1 keep, 0 padding). Keys a query cannot see get no
    // weight at all; a query that sees no key (a padding row past a sliding window) gets the
    // mean of all L values, which is what transformers' finfo.min masks give there.
    const int32_t* key_mask = nullptr;
};

// Sana's ReLU linear attention (diffusers' SanaLinearAttnProcessor2_0) per batch item and head,
// with q, k, v: [B, N, H*D] (row strides ldq, ldk, ldv; head h uses columns [h*D, h*D+D)):
//   S[i, j] = sum_m v[m, i] * relu(k[m, j]),   z[j] = sum_m relu(k[m, j])
//   out[n, i] = (sum_j S[i, j] relu(q[n, j])) / (sum_j z[j] relu(q[n, j]) + eps)
// No scale, no mask. z is diffusers' extra row of ones padded onto v; eps is its 1e-15, so a
// query whose ReLU is all zero gets a zero row. Computed in f32 throughout, as diffusers casts to.
struct LinearAttentionArgs {
    const float* q = nullptr;
    const float* k = nullptr;
    const float* v = nullptr;
    float* out = nullptr;  // [B, N, H*D], stride ldo
    int64_t B = 0, N = 0, H = 0, D = 0;
    int64_t ldq = 0, ldk = 0, ldv = 0, ldo = 0;
    float eps = 1e-15f;
};

// GRAT's grouped sparse self-attention (issue 21) over a 2-D grid of L = grid_h * grid_w tokens in
// raster order. The grid is cut into `group` x `group` blocks of tokens; every query of a block
// attends to the same keys: those of the blocks within `radius` blocks of its own (|dy|, |dx| <=
// radius, counted in blocks) and, with criss_cross, every block in its own row and column of
// blocks. A radius that reaches every block gives full attention. q, k, v, out: [B, L, H*D] with
// row strides as AttentionArgs. kernels/cpu/grat_attention.h checks the settings (a group that
// does not divide the grid, or is 0, is an std::invalid_argument naming it).
struct GratAttentionArgs {
    const float* q = nullptr;
    const float* k = nullptr;
    const float* v = nullptr;
    float* out = nullptr;
    int64_t B = 0, H = 0, D = 0;
    int64_t grid_h = 0, grid_w = 0;
    int64_t group = 0;
    int64_t radius = 1;
    bool criss_cross = true;
    int64_t ldq = 0, ldk = 0, ldv = 0, ldo = 0;
    float scale = 1.0f;
};

class Backend {
public:
    virtual ~Backend() = default;
    virtual const char* name() const = 0;

    // ---- memory the ops work on ----
    // True when that memory is the host's, so host code may read and write it directly. A device
    // backend's memory is reached only through these calls (engine::Tensor keeps it behind
    // data() and moves it with to_host()).
    virtual bool host_memory() const { return true; }
    virtual void* allocate(size_t bytes);                               // 64-byte aligned
    virtual void release(void* p) noexcept;
    virtual void upload(void* dst, const void* src, size_t bytes);      // host -> backend
    virtual void download(void* dst, const void* src, size_t bytes);    // backend -> host
    virtual void copy(void* dst, const void* src, size_t bytes);        // backend -> backend
    virtual void fill_zero(void* dst, size_t bytes);
    // Device backends keep uploaded copies of the WeightRef matrices keyed by host address (and
    // forget those of a mapping when it goes away, weights_unmapped() below). drop_cached_weights
    // drops them all; forget_weights those whose host elements lie in [begin, begin + bytes) (the
    // low-VRAM mode's T5 frees each block's matrices after it ran).
    virtual void drop_cached_weights() {}
    virtual void forget_weights(const void* begin, size_t bytes) {}
    virtual size_t cached_weight_bytes() const { return 0; }
    // Tests of the out-of-memory path: a device backend's allocate() throws OutOfMemory once more
    // than `bytes` of its memory would be in use (0: no limit, the default). No-op on the host.
    virtual void set_memory_limit(size_t bytes) {}

    // y[M, N] = x[M, K] · w[N, K]ᵀ + b[N]   (w in PyTorch's Linear layout; b may be null)
    virtual void linear(const float* x, const float* w, const float* b, float* y,
                        int64_t M, int64_t N, int64_t K) = 0;
    // The same with w stored as F32, F16 or BF16 (2-byte aligned). The result equals linear() on
    // the widened matrix (every f16/bf16 value is exact in f32); the weights are widened a panel
    // of rows at a time into scratch, never as a whole.
    virtual void linear(const float* x, WeightRef w, const float* b, float* y,
                        int64_t M, int64_t N, int64_t K) = 0;
    // y[M, N] = gelu_tanh(x · wᵀ + b): PixArt's feed-forward up-projection. linear() then
    // gelu_tanh() unless a backend fuses them (CUDA: cuBLASLt's GELU epilogue, which is the tanh
    // approximation).
    virtual void linear_gelu(const float* x, WeightRef w, const float* b, float* y, int64_t M, int64_t N,
                             int64_t K) {
        linear(x, w, b, y, M, N, K);
        gelu_tanh(y, M * N);
    }
    // Multi-head scaled dot-product attention with optional additive biases (see AttentionArgs).
    virtual void attention(const AttentionArgs& a) = 0;
    // y = (x - mean) / sqrt(var + eps) * gamma + beta over the last dimension; gamma/beta may be
    // null (PixArt's norms have no affine parameters). x and y may alias.
    virtual void layer_norm(const float* x, float* y, int64_t rows, int64_t cols, float eps,
                            const float* gamma, const float* beta) = 0;
    // adaLN-single's norm: y[b, l, :] = layer_norm(x[b, l, :]) * (1 + scale[b]) + shift[b] with no
    // affine parameters, x, y: [B, L, C] (may alias), shift, scale: [B, C]. layer_norm() then
    // modulate() unless a backend fuses them (CUDA: one pass writes y).
    virtual void layer_norm_modulate(const float* x, float* y, int64_t B, int64_t L, int64_t C, float eps,
                                     const float* shift, const float* scale) {
        layer_norm(x, y, B * L, C, eps, nullptr, nullptr);
        modulate(y, shift, scale, B, L, C);
    }
    // T5LayerNorm: y = x / sqrt(mean(x²) + eps) * gamma (no mean subtraction, no bias).
    virtual void rms_norm(const float* x, float* y, int64_t rows, int64_t cols, float eps,
                          const float* gamma) = 0;
    // adaLN: x[b, l, c] = x[b, l, c] * (1 + scale[b, c]) + shift[b, c], x: [B, L, C].
    virtual void modulate(float* x, const float* shift, const float* scale,
                          int64_t B, int64_t L, int64_t C) = 0;
    // Gated residual: x[b, l, c] += gate[b, c] * y[b, l, c]; gate null means 1.
    virtual void add_gated(float* x, const float* y, const float* gate,
                           int64_t B, int64_t L, int64_t C) = 0;
    // In place: GELU with the tanh approximation ("gelu-approximate", T5's gelu_new).
    virtual void gelu_tanh(float* x, int64_t n) = 0;
    virtual void silu(float* x, int64_t n) = 0;
    // x[i] *= y[i] (T5's gated feed-forward)
    virtual void mul(float* x, const float* y, int64_t n) = 0;
    // GroupNorm over [N, C, HW] with per-channel affine (the VAE's norms; eps 1e-6 there).
    virtual void group_norm(const float* x, float* y, int64_t N, int64_t C, int64_t HW,
                            int64_t groups, float eps, const float* gamma, const float* beta) = 0;
    virtual void conv2d(const Conv2dArgs& a) = 0;
    // Nearest-neighbour 2x upsample: [N, C, H, W] -> [N, C, 2H, 2W].
    virtual void upsample_nearest2x(const float* x, float* y, int64_t N, int64_t C,
                                    int64_t H, int64_t W) = 0;
    // Token gather / scatter (lazy inpainting runs a subset of the tokens through the blocks).
    // Per batch item b of B, with rows of C floats, src holding src_rows rows and dst dst_rows:
    //   gather:  dst[b, i, :] = src[b, index[i], :]   for i < n
    //   scatter: dst[b, index[i], :] = src[b, i, :]   for i < n (other rows of dst untouched)
    // index values lie in [0, src_rows) (gather) or [0, dst_rows) (scatter); a scatter's indices
    // are distinct. Pure copies: the result is bit-exact on every backend.
    virtual void gather_tokens(const float* src, int64_t src_rows, float* dst, int64_t dst_rows,
                               const int32_t* index, int64_t n, int64_t B, int64_t C) = 0;
    virtual void scatter_tokens(const float* src, int64_t src_rows, float* dst, int64_t dst_rows,
                                const int32_t* index, int64_t n, int64_t B, int64_t C) = 0;

    // ---- layout ops and small arithmetic, so the models never loop over backend memory ----
    // x[i] = x[i] * a + b (the VAE's latent scaling, a control's weight).
    virtual void affine(float* x, int64_t n, float a, float b) = 0;
    // x: [N, A, B] -> y: [N, B, A] (the VAE attention's NCHW <-> token order). Exact copies.
    virtual void transpose(const float* x, float* y, int64_t N, int64_t A, int64_t B) = 0;
    // adaLN-single's per-block vectors: out[j, b, :] = table[j, :] + emb[b, j*D : (j+1)*D] for
    // table: [J, D], emb: [B, J*D], out: [J, B, D] (chunk-major, each vector a contiguous [B, D]).
    virtual void adaln_modulation(const float* table, const float* emb, float* out, int64_t J, int64_t B,
                                  int64_t D) = 0;
    // The patch embedding's input: x: [B, C, H, W] -> patches: [B, (H/p) * (W/p), C*p*p], each
    // row in (c, ky, kx) order (the conv weight's), tokens in (y, x) raster order. Exact copies.
    virtual void patchify(const float* x, float* patches, int64_t B, int64_t C, int64_t H, int64_t W,
                          int64_t p) = 0;
    // The final layer's output: tokens: [B, (H/p) * (W/p), p*p*C] in (py, px, c) order ->
    // out: [B, C, H, W]. Exact copies.
    virtual void unpatchify(const float* tokens, float* out, int64_t B, int64_t C, int64_t H, int64_t W,
                            int64_t p) = 0;

    // ---- the Sana text encoder (Gemma-2) and autoencoder (AutoencoderDC) ops ----
    // Each has its plain loop in kernels/cpu/<op>.cpp (namespace host, below), which both CPU
    // backends run, and a CUDA kernel in kernels/cuda/<op>.cu.
    // torch's pixel_unshuffle: x [N, C, H, W] -> y [N, C*r*r, H/r, W/r] with
    // y[n, (c*r + i)*r + j, h, w] = x[n, c, h*r + i, w*r + j]. Exact copies.
    virtual void pixel_unshuffle(const float* x, float* y, int64_t N, int64_t C, int64_t H, int64_t W,
                                 int64_t r) = 0;
    // torch's pixel_shuffle, the inverse: x [N, C*r*r, H, W] -> y [N, C, H*r, W*r]. Exact copies.
    virtual void pixel_shuffle(const float* x, float* y, int64_t N, int64_t C, int64_t H, int64_t W, int64_t r) = 0;
    // DC-AE's channel-averaging shortcut: x [N, C*G, P] -> y [N, C, P], the mean of each run of G
    // consecutive channels (unflatten(1, (-1, G)).mean(2)).
    virtual void channel_mean(const float* x, float* y, int64_t N, int64_t C, int64_t G, int64_t P) = 0;
    // DC-AE's channel-duplicating shortcut: x [N, C, P] -> y [N, C*R, P] with y[n, c*R + r] = x[n, c]
    // (repeat_interleave(R, dim=1)). Exact copies.
    virtual void channel_repeat(const float* x, float* y, int64_t N, int64_t C, int64_t R, int64_t P) = 0;
    // y = x * rsqrt(mean(x²) + eps) * (gamma_offset + gamma) + beta over each row of `cols`:
    // Gemma's RMSNorm is offset 1 (its weights are stored as w with the scale 1 + w); diffusers'
    // RMSNorm with bias (DC-AE) is offset 0 with beta. gamma and beta may be null (1 and 0).
    // x and y may alias.
    virtual void rms_norm_affine(const float* x, float* y, int64_t rows, int64_t cols, float eps,
                                 const float* gamma, float gamma_offset, const float* beta) = 0;
    // Rotary position embedding in place, the "rotate half" form (Llama/Gemma): x [B, L, H, D]
    // with row stride ld between tokens, cos/sin [L, D]; for i < D/2:
    //   x'[i] = x[i] cos[i] - x[i + D/2] sin[i],  x'[i + D/2] = x[i + D/2] cos[i + D/2] + x[i] sin[i + D/2].
    virtual void rotary_embedding(float* x, const float* cos, const float* sin, int64_t B, int64_t L, int64_t H,
                                  int64_t D, int64_t ld) = 0;
    // Grouped-query attention with soft-capping and a sliding window (GqaAttentionArgs).
    virtual void gqa_attention(const GqaAttentionArgs& a) = 0;
    // In place: max(x, 0).
    virtual void relu(float* x, int64_t n) = 0;
    // DC-AE's ReLU linear attention over channel-major heads: qkv [B, heads, 3*D, P] holds each
    // head's q, k and v as D rows of P positions; out [B, heads, D, P] with
    //   out[d, i] = sum_j v[d, j] s(j, i) / (sum_j s(j, i) + eps),  s(j, i) = relu(k[:, j]) · relu(q[:, i]),
    // evaluated in linear order: (v | 1) relu(k)ᵀ first, a [D + 1, D] matrix, then times relu(q).
    virtual void relu_linear_attention_nchw(const float* qkv, float* out, int64_t B, int64_t heads, int64_t D,
                                            int64_t P, float eps) = 0;

    // ---- issue 21: GRAT's grouped sparse attention (GratAttentionArgs); reference in
    // kernels/cpu/grat_attention.cpp, fast path in fast_grat_attention.cpp, CUDA in grat_attention.cu.
    virtual void grat_attention(const GratAttentionArgs& a) = 0;

    // ---- Sana (issue 18, part A): ReLU linear attention and the Mix-FFN (GLUMBConv) ----
    // Each has a plain loop in kernels/cpu/linear_attention.cpp (reference), a fast path beside
    // it, and a CUDA kernel in kernels/cuda/linear_attention.cu.
    //
    // Sana's self-attention (diffusers' SanaLinearAttnProcessor2_0), see LinearAttentionArgs.
    virtual void linear_attention(const LinearAttentionArgs& a) = 0;
    // Depthwise 3x3 convolution, stride 1, zero padding 1, on channel-last tokens:
    // x, y: [B, H, W, C] (token (y, x) of image b is row b*H*W + y*W + x); w: [C, 3, 3] (the
    // checkpoint's [C, 1, 3, 3]); bias: [C] or null. x and y must not alias.
    virtual void depthwise_conv3x3(const float* x, const float* w, const float* bias, float* y, int64_t B,
                                   int64_t H, int64_t W, int64_t C) = 0;
    // GLU with a SiLU gate over the last dimension: x: [M, 2C] -> y: [M, C],
    // y[m, c] = x[m, c] * silu(x[m, C + c]) (torch.chunk(2) then a * silu(gate)).
    virtual void glu_silu(const float* x, float* y, int64_t M, int64_t C) = 0;
};

Backend& reference();
Backend& fast();
// fast()'s ops on memory it keeps apart (host_memory() is false), so host code that reads an
// op's operands directly fails its test instead of faulting on a GPU (tests and `--backend
// cpu-isolated` only; results equal fast()'s bit for bit).
Backend& isolated();

// A mapping of checkpoint weights is about to go away (engine/io/safetensors.cpp calls this):
// device backends forget the copies they made of WeightRefs inside [begin, begin + bytes), since
// the addresses may come back holding other weights.
void weights_unmapped(const void* begin, size_t bytes);
// Device backends register here to hear of it (kernels/cpu/backend.cpp).
void on_weights_unmapped(std::function<void(const void* begin, size_t bytes)> listener);

// The layout ops as plain loops; both CPU backends use these (kernels/cpu/backend.cpp).
namespace host {
void affine(float* x, int64_t n, float a, float b);
void transpose(const float* x, float* y, int64_t N, int64_t A, int64_t B);
void adaln_modulation(const float* table, const float* emb, float* out, int64_t J, int64_t B, int64_t D);
void patchify(const float* x, float* patches, int64_t B, int64_t C, int64_t H, int64_t W, int64_t p);
void unpatchify(const float* tokens, float* out, int64_t B, int64_t C, int64_t H, int64_t W, int64_t p);

// The Sana text encoder and autoencoder ops (kernels/cpu/<op>.cpp, one file each).
void pixel_unshuffle(const float* x, float* y, int64_t N, int64_t C, int64_t H, int64_t W, int64_t r);
void pixel_shuffle(const float* x, float* y, int64_t N, int64_t C, int64_t H, int64_t W, int64_t r);
void channel_mean(const float* x, float* y, int64_t N, int64_t C, int64_t G, int64_t P);
void channel_repeat(const float* x, float* y, int64_t N, int64_t C, int64_t R, int64_t P);
void rms_norm_affine(const float* x, float* y, int64_t rows, int64_t cols, float eps, const float* gamma,
                     float gamma_offset, const float* beta);
void rotary_embedding(float* x, const float* cos, const float* sin, int64_t B, int64_t L, int64_t H, int64_t D,
                      int64_t ld);
void gqa_attention(const GqaAttentionArgs& a);
void relu(float* x, int64_t n);
void relu_linear_attention_nchw(const float* qkv, float* out, int64_t B, int64_t heads, int64_t D, int64_t P,
                                float eps);
}  // namespace host

}  // namespace dit::kernels
