#pragma once
// diffusers' BasicTransformerBlock as PixArt configures it (norm_type "ada_norm_single"):
//   x += gate_msa * attn1(norm1(x) * (1 + scale_msa) + shift_msa)
//   x += attn2(x, prompt)                      (cross-attention on the UN-normalised x, ungated)
//   x += gate_mlp * ff(norm2(x) * (1 + scale_mlp) + shift_mlp)
// with the six modulation vectors = scale_shift_table [6, D] + the timestep's [B, 6D]. Norms have
// no affine parameters. Keys: transformer_blocks.{i}.{scale_shift_table, attn1.*, attn2.*,
// ff.net.0.proj, ff.net.2}.
#include <string>

#include "engine/models/pixart/pixart_embeddings.h"

namespace dit::pixart {

// diffusers' Attention: to_q, to_k, to_v, to_out.0 (all with biases).
struct Attention {
    Linear to_q, to_k, to_v, to_out;
    static Attention bind(ParamBinder& p, const std::string& prefix, int64_t dim, int64_t kv_dim);
};

// `ff`: net.0.proj (D -> 4D) -> GELU(tanh) -> net.2 (4D -> D).
struct FeedForward {
    Linear proj, out;
    static FeedForward bind(ParamBinder& p, const std::string& prefix, int64_t dim);
};

// Activation buffers for one forward, sized once and reused by every block, in the memory of
// the backend the blocks run on.
struct BlockBuffers {
    int64_t B = 0, N = 0, D = 0;
    Tensor mods;           // [6, B, D]: shift_msa, scale_msa, gate_msa, shift_mlp, scale_mlp, gate_mlp
    Tensor norm;           // [B*N, D]: modulated norm, then the attention projections' output
    Tensor q, k, v, attn;  // [B*N, D]
    Tensor hidden;         // [B*N, 4D]
    BlockBuffers(int64_t B, int64_t N, int64_t D, kernels::Backend& ops);
};

// Lazy inpainting (docs/inpainting.md): one block's self-attention keys and values over all
// n_all tokens of the image, k and v each [B, n_all, D] (backend memory, like `cached`). Slots [n_fresh, n_all) hold the K/V of
// the tokens that skip the blocks (`cached`, n_all - n_fresh token indices in slot order).
//  - record (a cache refresh): the forward runs every token in image order (N = n_all); the block
//    attends as usual and copies the K/V of the `cached` tokens into their slots.
//  - otherwise: the forward runs n_fresh tokens (N = n_fresh); the block writes their fresh K/V
//    into slots [0, n_fresh) and their queries attend over all n_all slots.
struct SelfAttentionCache {
    float* k = nullptr;
    float* v = nullptr;
    int64_t n_all = 0, n_fresh = 0;
    const int32_t* cached = nullptr;
    bool record = false;
};

// What a block needs beyond the plain forward, per call. Each feature owns its fields.
struct BlockExtras {
    // Regional prompts: cross-attention groups (kernels::AttentionArgs::query_group/key_group),
    // query_group [B, N] for the tokens in this forward, key_group [B, L], in backend memory.
    const int32_t* query_group = nullptr;
    const int32_t* key_group = nullptr;
    // Lazy inpainting: this block's self-attention cache (set per block by the transformer).
    SelfAttentionCache* self_cache = nullptr;
    // Grouped sparse self-attention (issue 21, kernels::GratAttentionArgs: radius 1 and the
    // criss-cross band): grat_group > 0 runs it in groups of grat_group x grat_group tokens over
    // the grid_h x grid_w token grid (the transformer sets the grid); 0 is full attention. A lazy
    // forward's subset of queries keeps full attention over its cache.
    int64_t grat_group = 0;
    int64_t grid_h = 0, grid_w = 0;
};

struct TransformerBlock {
    Tensor scale_shift_table;  // [6, D]
    Attention attn1;           // self-attention
    Attention attn2;           // cross-attention; to_k/to_v read the projected caption
    FeedForward ff;
    int64_t dim = 0, heads = 0, head_dim = 0;
    float eps = 1e-6f;

    static TransformerBlock bind(ParamBinder& p, const std::string& prefix, int64_t heads, int64_t head_dim,
                                 int64_t cross_attention_dim, float eps);
    // x: [B, N, D], updated in place; modulation: [B, 6D] (adaln_single's output);
    // prompt_k, prompt_v: [B, L, D] (attn2.to_k/to_v of the projected caption);
    // key_bias: [B, L] additive (0 keep, -10000 padding). All in ops's memory.
    void forward(float* x, const float* modulation, const float* prompt_k, const float* prompt_v,
                 const float* key_bias, int64_t L, BlockBuffers& buf, kernels::Backend& ops,
                 const BlockExtras* extras = nullptr) const;
};

}  // namespace dit::pixart
