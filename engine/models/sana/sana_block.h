#pragma once
// diffusers' SanaTransformerBlock (v0.32; v0.33 added the QK norms), by its checkpoint keys
// transformer_blocks.{i}.{scale_shift_table, attn1.*, attn2.*, ff.*}:
//   x += gate_msa * attn1(norm1(x) * (1 + scale_msa) + shift_msa)   ReLU linear self-attention
//   x += attn2(x, caption)                                          softmax cross-attention on the
//                                                                   UN-normalised x, ungated
//   x += gate_mlp * ff(norm2(x) * (1 + scale_mlp) + shift_mlp)      Mix-FFN (GLUMBConv)
// The six modulation vectors are scale_shift_table [6, D] + the timestep's [B, 6D], as in
// PixArt. Norms have no affine parameters. Tokens stay channel-last throughout: the Mix-FFN's
// 1x1 convs are linears over tokens and its depthwise 3x3 runs on the [B, h, w, C] token grid,
// so the block never transposes to NCHW as diffusers does.
#include <string>

#include "engine/models/pixart/pixart_embeddings.h"

namespace dit::sana {

using pixart::Linear;

// diffusers' RMSNorm with a weight (caption_norm, and the QK norms "rms_norm_across_heads":
// one norm over all heads' channels). Absent when the model has no such norm.
struct RMSNorm {
    Tensor weight;  // [dim]
    float eps = 1e-5f;
    bool present() const { return !weight.empty(); }
    static RMSNorm bind(ParamBinder& p, const std::string& prefix, int64_t dim, float eps);
    // x: [rows, dim] -> y (may alias x)
    void forward(const float* x, float* y, int64_t rows, kernels::Backend& ops) const;
};

// diffusers' Attention as Sana configures it: to_q, to_k, to_v (biases optional), optional
// norm_q / norm_k, to_out.0.
struct Attention {
    Linear to_q, to_k, to_v, to_out;
    RMSNorm norm_q, norm_k;
    int64_t heads = 0, head_dim = 0;
    static Attention bind(ParamBinder& p, const std::string& prefix, int64_t dim, int64_t kv_dim, int64_t heads,
                          int64_t head_dim, bool qkv_bias, bool qk_norm);
};

// `ff` (GLUMBConv, residual_connection false): conv_inverted 1x1 (D -> 2F, bias) -> SiLU ->
// conv_depth depthwise 3x3 (2F, bias) -> GLU (first F channels * SiLU(last F)) -> conv_point
// 1x1 (F -> D, no bias). F = int(mlp_ratio * D).
struct MixFFN {
    Linear conv_inverted, conv_point;  // the 1x1 convs' [out, in, 1, 1] weights read as [out, in]
    Tensor depth_weight;               // [2F, 3, 3] (the checkpoint's [2F, 1, 3, 3])
    Tensor depth_bias;                 // [2F]
    int64_t hidden = 0;                // F
    static MixFFN bind(ParamBinder& p, const std::string& prefix, int64_t dim, int64_t hidden);
};

// Activation buffers for one forward, reused by every block (backend memory).
struct BlockBuffers {
    int64_t B = 0, N = 0, D = 0, F = 0;
    Tensor mods;             // [6, B, D]
    Tensor norm;             // [B*N, D]
    Tensor q, k, v, attn;    // [B*N, D]
    Tensor wide, wide2;      // [B*N, 2F]
    Tensor gated;            // [B*N, F]
    BlockBuffers(int64_t B, int64_t N, int64_t D, int64_t F, kernels::Backend& ops);
};

struct TransformerBlock {
    Tensor scale_shift_table;  // [6, D]
    Attention attn1, attn2;
    MixFFN ff;
    int64_t dim = 0;
    float eps = 1e-6f;

    // prompt_k, prompt_v: [B, L, D] (attn2.to_k / to_v of the normed caption, norm_k applied);
    // key_bias: [B, L] additive (0 keep, -10000 padding); grid_h x grid_w = N tokens.
    // x: [B, N, D] updated in place; modulation: [B, 6D]. All in ops's memory.
    void forward(float* x, const float* modulation, const float* prompt_k, const float* prompt_v,
                 const float* key_bias, int64_t L, int64_t grid_h, int64_t grid_w, BlockBuffers& buf,
                 kernels::Backend& ops) const;
};

}  // namespace dit::sana
