#include "engine/models/sana/sana_block.h"

#include <cmath>

namespace dit::sana {

RMSNorm RMSNorm::bind(ParamBinder& p, const std::string& prefix, int64_t dim, float eps) {
    return {p.bind(prefix + ".weight", {dim}), eps};
}

void RMSNorm::forward(const float* x, float* y, int64_t rows, kernels::Backend& ops) const {
    // x: [rows, dim]
    ops.rms_norm(x, y, rows, weight.numel(), eps, weight.ptr());
}

Attention Attention::bind(ParamBinder& p, const std::string& prefix, int64_t dim, int64_t kv_dim, int64_t heads,
                          int64_t head_dim, bool qkv_bias, bool qk_norm) {
    const int64_t inner = heads * head_dim;
    Attention a;
    a.heads = heads;
    a.head_dim = head_dim;
    a.to_q = Linear::bind(p, prefix + ".to_q", dim, inner, qkv_bias);
    a.to_k = Linear::bind(p, prefix + ".to_k", kv_dim, inner, qkv_bias);
    a.to_v = Linear::bind(p, prefix + ".to_v", kv_dim, inner, qkv_bias);
    a.to_out = Linear::bind(p, prefix + ".to_out.0", inner, dim);
    if (qk_norm) {  // Attention's default eps, 1e-5
        a.norm_q = RMSNorm::bind(p, prefix + ".norm_q", inner, 1e-5f);
        a.norm_k = RMSNorm::bind(p, prefix + ".norm_k", inner, 1e-5f);
    }
    return a;
}

MixFFN MixFFN::bind(ParamBinder& p, const std::string& prefix, int64_t dim, int64_t hidden) {
    MixFFN f;
    f.hidden = hidden;
    auto pointwise = [&](const std::string& name, int64_t in, int64_t out, bool bias) {
        Linear l;
        l.in = in;
        l.out = out;
        const Tensor w = p.bind_stored(prefix + "." + name + ".weight", {out, in, 1, 1});
        if (!w.empty()) l.weight = w.reshape({out, in});
        if (bias) l.bias = p.bind(prefix + "." + name + ".bias", {out});
        return l;
    };
    f.conv_inverted = pointwise("conv_inverted", dim, 2 * hidden, true);
    f.conv_point = pointwise("conv_point", hidden, dim, false);
    const Tensor w = p.bind(prefix + ".conv_depth.weight", {2 * hidden, 1, 3, 3});
    if (!w.empty()) f.depth_weight = w.reshape({2 * hidden, 3, 3});
    f.depth_bias = p.bind(prefix + ".conv_depth.bias", {2 * hidden});
    return f;
}

BlockBuffers::BlockBuffers(int64_t B_, int64_t N_, int64_t D_, int64_t F_, kernels::Backend& ops)
    : B(B_), N(N_), D(D_), F(F_), mods(Tensor::on(ops, {6, B_, D_})), norm(Tensor::on(ops, {B_ * N_, D_})),
      q(Tensor::on(ops, {B_ * N_, D_})), k(Tensor::on(ops, {B_ * N_, D_})), v(Tensor::on(ops, {B_ * N_, D_})),
      attn(Tensor::on(ops, {B_ * N_, D_})), wide(Tensor::on(ops, {B_ * N_, 2 * F_})),
      wide2(Tensor::on(ops, {B_ * N_, 2 * F_})), gated(Tensor::on(ops, {B_ * N_, F_})) {}

void TransformerBlock::forward(float* x, const float* modulation, const float* prompt_k, const float* prompt_v,
                               const float* key_bias, int64_t L, int64_t grid_h, int64_t grid_w, BlockBuffers& buf,
                               kernels::Backend& ops) const {
    // x: [B, N, D]
    const int64_t B = buf.B, N = buf.N, D = dim, M = B * N, F = ff.hidden;
    float* mods = buf.mods.ptr();  // [6, B, D]
    ops.adaln_modulation(scale_shift_table.ptr(), modulation, mods, 6, B, D);
    const float *shift_msa = mods, *scale_msa = mods + B * D, *gate_msa = mods + 2 * B * D;
    const float *shift_mlp = mods + 3 * B * D, *scale_mlp = mods + 4 * B * D, *gate_mlp = mods + 5 * B * D;

    // Self-attention: ReLU linear attention on the modulated norm.
    float* h = buf.norm.ptr();  // [M, D]
    ops.layer_norm_modulate(x, h, B, N, D, eps, shift_msa, scale_msa);
    attn1.to_q.forward(h, buf.q.ptr(), M, ops);
    attn1.to_k.forward(h, buf.k.ptr(), M, ops);
    attn1.to_v.forward(h, buf.v.ptr(), M, ops);
    if (attn1.norm_q.present()) attn1.norm_q.forward(buf.q.ptr(), buf.q.ptr(), M, ops);
    if (attn1.norm_k.present()) attn1.norm_k.forward(buf.k.ptr(), buf.k.ptr(), M, ops);
    kernels::LinearAttentionArgs la;
    la.q = buf.q.ptr(), la.k = buf.k.ptr(), la.v = buf.v.ptr(), la.out = buf.attn.ptr();
    la.B = B, la.N = N, la.H = attn1.heads, la.D = attn1.head_dim;
    la.ldq = la.ldk = la.ldv = la.ldo = D;
    ops.linear_attention(la);
    attn1.to_out.forward(buf.attn.ptr(), h, M, ops);
    ops.add_gated(x, h, gate_msa, B, N, D);

    // Cross-attention to the caption (its K/V come projected and normed), masked by key_bias.
    attn2.to_q.forward(x, buf.q.ptr(), M, ops);
    if (attn2.norm_q.present()) attn2.norm_q.forward(buf.q.ptr(), buf.q.ptr(), M, ops);
    kernels::AttentionArgs a;
    a.q = buf.q.ptr(), a.k = prompt_k, a.v = prompt_v, a.out = buf.attn.ptr();
    a.B = B, a.Lq = N, a.Lk = L, a.H = attn2.heads, a.D = attn2.head_dim;
    a.ldq = a.ldk = a.ldv = a.ldo = D;
    a.scale = 1.0f / std::sqrt(static_cast<float>(attn2.head_dim));
    a.key_bias = key_bias;
    ops.attention(a);
    attn2.to_out.forward(buf.attn.ptr(), h, M, ops);
    ops.add_gated(x, h, nullptr, B, N, D);

    // Mix-FFN on the modulated norm, channel-last over the grid_h x grid_w token grid.
    ops.layer_norm_modulate(x, h, B, N, D, eps, shift_mlp, scale_mlp);
    ff.conv_inverted.forward(h, buf.wide.ptr(), M, ops);  // [M, 2F]
    ops.silu(buf.wide.ptr(), M * 2 * F);
    ops.depthwise_conv3x3(buf.wide.ptr(), ff.depth_weight.ptr(), ff.depth_bias.ptr(), buf.wide2.ptr(), B, grid_h,
                          grid_w, 2 * F);                  // [B, grid_h, grid_w, 2F]
    ops.glu_silu(buf.wide2.ptr(), buf.gated.ptr(), M, F);  // [M, F]
    ff.conv_point.forward(buf.gated.ptr(), h, M, ops);     // [M, D]
    ops.add_gated(x, h, gate_mlp, B, N, D);
}

}  // namespace dit::sana
