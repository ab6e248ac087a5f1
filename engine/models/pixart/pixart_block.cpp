#include "engine/models/pixart/pixart_block.h"

#include <cmath>

#include "engine/error.h"

namespace dit::pixart {

Attention Attention::bind(ParamBinder& p, const std::string& prefix, int64_t dim, int64_t kv_dim) {
    return {Linear::bind(p, prefix + ".to_q", dim, dim), Linear::bind(p, prefix + ".to_k", kv_dim, dim),
            Linear::bind(p, prefix + ".to_v", kv_dim, dim), Linear::bind(p, prefix + ".to_out.0", dim, dim)};
}

FeedForward FeedForward::bind(ParamBinder& p, const std::string& prefix, int64_t dim) {
    return {Linear::bind(p, prefix + ".net.0.proj", dim, 4 * dim), Linear::bind(p, prefix + ".net.2", 4 * dim, dim)};
}

BlockBuffers::BlockBuffers(int64_t B_, int64_t N_, int64_t D_, kernels::Backend& ops)
    : B(B_), N(N_), D(D_), mods(Tensor::on(ops, {6, B_, D_})), norm(Tensor::on(ops, {B_ * N_, D_})),
      q(Tensor::on(ops, {B_ * N_, D_})), k(Tensor::on(ops, {B_ * N_, D_})), v(Tensor::on(ops, {B_ * N_, D_})),
      attn(Tensor::on(ops, {B_ * N_, D_})), hidden(Tensor::on(ops, {B_ * N_, 4 * D_})) {}

TransformerBlock TransformerBlock::bind(ParamBinder& p, const std::string& prefix, int64_t heads,
                                        int64_t head_dim, int64_t cross_attention_dim, float eps) {
    TransformerBlock t;
    t.dim = heads * head_dim;
    t.heads = heads;
    t.head_dim = head_dim;
    t.eps = eps;
    t.scale_shift_table = p.bind(prefix + ".scale_shift_table", {6, t.dim});
    t.attn1 = Attention::bind(p, prefix + ".attn1", t.dim, t.dim);
    t.attn2 = Attention::bind(p, prefix + ".attn2", t.dim, cross_attention_dim);
    t.ff = FeedForward::bind(p, prefix + ".ff", t.dim);
    return t;
}

void TransformerBlock::forward(float* x, const float* modulation, const float* prompt_k, const float* prompt_v,
                               const float* key_bias, int64_t L, BlockBuffers& buf, kernels::Backend& ops,
                               const BlockExtras* extras) const {
    // x: [B, N, D]
    const int64_t B = buf.B, N = buf.N, D = dim, M = B * N;
    // mods[j, b, :] = scale_shift_table[j] + modulation[b, j*D : (j+1)*D]: chunk-major so each
    // vector is a contiguous [B, D] for modulate / add_gated.
    float* mods = buf.mods.ptr();
    ops.adaln_modulation(scale_shift_table.ptr(), modulation, mods, 6, B, D);
    const float *shift_msa = mods, *scale_msa = mods + B * D, *gate_msa = mods + 2 * B * D;
    const float *shift_mlp = mods + 3 * B * D, *scale_mlp = mods + 4 * B * D, *gate_mlp = mods + 5 * B * D;

    kernels::AttentionArgs a;
    a.B = B;
    a.H = heads;
    a.D = head_dim;
    a.scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
    a.ldq = a.ldk = a.ldv = a.ldo = D;

    // Self-attention on the modulated norm.
    float* h = buf.norm.ptr();
    ops.layer_norm_modulate(x, h, B, N, D, eps, shift_msa, scale_msa);
    attn1.to_q.forward(h, buf.q.ptr(), M, ops);
    a.q = buf.q.ptr();
    a.out = buf.attn.ptr();
    a.Lq = a.Lk = N;
    SelfAttentionCache* cache = extras ? extras->self_cache : nullptr;
    if (cache && !cache->record) {
        // Lazy: this forward's tokens are the fresh slots; the rest of the keys come cached.
        if (cache->n_fresh != N || cache->n_all < N)
            throw Error("PixArt block: the self-attention cache is laid out for " + std::to_string(cache->n_fresh) +
                        " fresh of " + std::to_string(cache->n_all) + " tokens, the forward runs " + std::to_string(N));
        for (int64_t b = 0; b < B; ++b) {
            attn1.to_k.forward(h + b * N * D, cache->k + b * cache->n_all * D, N, ops);
            attn1.to_v.forward(h + b * N * D, cache->v + b * cache->n_all * D, N, ops);
        }
        a.k = cache->k;
        a.v = cache->v;
        a.Lk = cache->n_all;
    } else {
        attn1.to_k.forward(h, buf.k.ptr(), M, ops);
        attn1.to_v.forward(h, buf.v.ptr(), M, ops);
        a.k = buf.k.ptr();
        a.v = buf.v.ptr();
        if (cache) {  // refresh: keep the K/V of the tokens the next lazy forwards skip
            if (cache->n_all != N)
                throw Error("PixArt block: a cache refresh runs all " + std::to_string(cache->n_all) +
                            " tokens, this forward runs " + std::to_string(N));
            const int64_t n_cached = cache->n_all - cache->n_fresh;
            ops.gather_tokens(buf.k.ptr(), N, cache->k + cache->n_fresh * D, cache->n_all, cache->cached, n_cached, B, D);
            ops.gather_tokens(buf.v.ptr(), N, cache->v + cache->n_fresh * D, cache->n_all, cache->cached, n_cached, B, D);
        }
    }
    if (extras && extras->grat_group > 0 && !cache) {
        if (extras->grid_h * extras->grid_w != N)
            throw Error("PixArt block: grouped attention over a " + std::to_string(extras->grid_h) + "x" +
                        std::to_string(extras->grid_w) + " token grid, the forward runs " + std::to_string(N) + " tokens");
        kernels::GratAttentionArgs g;
        g.q = a.q, g.k = a.k, g.v = a.v, g.out = a.out;
        g.B = B, g.H = heads, g.D = head_dim, g.grid_h = extras->grid_h, g.grid_w = extras->grid_w;
        g.group = extras->grat_group;
        g.ldq = g.ldk = g.ldv = g.ldo = D;
        g.scale = a.scale;
        ops.grat_attention(g);
    } else {
        ops.attention(a);
    }
    attn1.to_out.forward(buf.attn.ptr(), h, M, ops);
    ops.add_gated(x, h, gate_msa, B, N, D);

    // Cross-attention: PixArt feeds the residual stream itself (no norm2 here) and does not gate.
    attn2.to_q.forward(x, buf.q.ptr(), M, ops);
    a.q = buf.q.ptr();
    a.k = prompt_k;
    a.v = prompt_v;
    a.Lk = L;
    a.key_bias = key_bias;
    if (extras) {
        a.query_group = extras->query_group;
        a.key_group = extras->key_group;
    }
    ops.attention(a);
    a.query_group = a.key_group = nullptr;
    attn2.to_out.forward(buf.attn.ptr(), h, M, ops);
    ops.add_gated(x, h, nullptr, B, N, D);

    // Feed-forward on the modulated norm.
    ops.layer_norm_modulate(x, h, B, N, D, eps, shift_mlp, scale_mlp);
    ff.proj.forward_gelu(h, buf.hidden.ptr(), M, ops);
    ff.out.forward(buf.hidden.ptr(), h, M, ops);
    ops.add_gated(x, h, gate_mlp, B, N, D);
}

}  // namespace dit::pixart
