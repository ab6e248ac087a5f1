#include "engine/models/sana/sana_embeddings.h"

#include <cmath>

#include "engine/error.h"
#include "engine/io/config.h"
#include "engine/io/config_fields.h"

namespace dit {

using config_fields::int_in;
using config_fields::require_bool;
using config_fields::where;

SanaConfig SanaConfig::from(const Config& c, const std::string& class_name) {
    const std::string cls = c.get_string("_class_name");
    if (cls != class_name)
        throw Error(where(c, "_class_name") + " is \"" + cls + "\"; expected \"" + class_name + "\"");
    SanaConfig k;
    k.sample_size = int_in(c, "sample_size", 32, 1, 1 << 16);
    k.in_channels = int_in(c, "in_channels", 32, 1, 4096);
    k.out_channels = c.has("out_channels") ? int_in(c, "out_channels", 32, 1, 4096) : k.in_channels;
    k.num_layers = int_in(c, "num_layers", 20, 1, 1024);
    k.heads = int_in(c, "num_attention_heads", 70, 1, 1024);
    k.head_dim = int_in(c, "attention_head_dim", 32, 1, 4096);
    k.cross_heads = int_in(c, "num_cross_attention_heads", 20, 1, 1024);
    k.cross_head_dim = int_in(c, "cross_attention_head_dim", 112, 1, 4096);
    k.cross_attention_dim = int_in(c, "cross_attention_dim", 2240, 1, 1 << 16);
    k.caption_channels = int_in(c, "caption_channels", 2304, 1, 1 << 16);
    k.patch_size = int_in(c, "patch_size", 1, 1, 64);
    k.mlp_ratio = c.get_float("mlp_ratio", 2.5);
    if (!(k.mlp_ratio > 0.0) || !std::isfinite(k.mlp_ratio) || k.ffn_hidden() < 1)
        throw Error(where(c, "mlp_ratio") + " must be a positive number giving at least one channel");
    k.attention_bias = c.get_bool("attention_bias", false);
    k.norm_eps = static_cast<float>(c.get_float("norm_eps", 1e-6));
    if (!(k.norm_eps > 0.0f)) throw Error(where(c, "norm_eps") + " must be > 0");
    if (c.has("interpolation_scale")) {
        const float s = static_cast<float>(c.get_float("interpolation_scale"));
        if (!(s > 0.0f) || !std::isfinite(s)) throw Error(where(c, "interpolation_scale") + " must be a positive number");
        k.interpolation_scale = s;
    }
    k.guidance_embeds = c.get_bool("guidance_embeds", false);
    k.guidance_embeds_scale = static_cast<float>(c.get_float("guidance_embeds_scale", 0.1));
    k.timestep_scale = static_cast<float>(c.get_float("timestep_scale", 1.0));
    if (!std::isfinite(k.guidance_embeds_scale)) throw Error(where(c, "guidance_embeds_scale") + " must be finite");
    if (!std::isfinite(k.timestep_scale) || k.timestep_scale == 0.0f)
        throw Error(where(c, "timestep_scale") + " must be a finite, non-zero number");
    if (c.has("qk_norm")) {
        const std::string q = c.get_string("qk_norm");
        if (q != "rms_norm_across_heads")
            throw Error(where(c, "qk_norm") + " is \"" + q + "\"; only \"rms_norm_across_heads\" (Sana-Sprint) or null is supported");
        k.qk_norm = true;
    }
    require_bool(c, "norm_elementwise_affine", false);

    // Every width the blocks exchange is the hidden size D = heads x head_dim.
    const int64_t D = k.hidden();
    if (int64_t(k.cross_heads) * k.cross_head_dim != D)
        throw Error(where(c, "num_cross_attention_heads") + " x cross_attention_head_dim = " +
                    std::to_string(int64_t(k.cross_heads) * k.cross_head_dim) +
                    " does not match num_attention_heads x attention_head_dim = " + std::to_string(D));
    if (k.cross_attention_dim != D)
        throw Error(where(c, "cross_attention_dim") + " is " + std::to_string(k.cross_attention_dim) +
                    " but the caption projection yields the hidden size " + std::to_string(D));
    if (k.interpolation_scale && D % 4)
        throw Error(where(c, "num_attention_heads") + " x attention_head_dim = " + std::to_string(D) +
                    " must be a multiple of 4 (2D sin-cos position embedding)");
    if (k.sample_size < k.patch_size)
        throw Error(where(c, "sample_size") + " " + std::to_string(k.sample_size) + " is smaller than patch_size " +
                    std::to_string(k.patch_size));
    return k;
}

namespace sana {

Embeddings Embeddings::bind(ParamBinder& p, const SanaConfig& k) {
    const int64_t D = k.hidden();
    Embeddings e;
    e.patch_embed = pixart::PatchEmbed::bind(p, k.in_channels, D, k.patch_size, k.sample_size / k.patch_size,
                                             k.interpolation_scale.value_or(1.0f), "patch_embed",
                                             k.interpolation_scale.has_value());
    if (k.guidance_embeds) {
        e.timestep_embedder = pixart::TimestepEmbedding::bind(p, "time_embed.timestep_embedder", 256, D);
        e.guidance_embedder = pixart::TimestepEmbedding::bind(p, "time_embed.guidance_embedder", 256, D);
        e.time_linear = Linear::bind(p, "time_embed.linear", D, 6 * D);
    } else {
        e.adaln = pixart::AdaLayerNormSingle::bind(p, D, false, "time_embed");
    }
    e.caption_projection = pixart::TextProjection::bind(p, k.caption_channels, D);
    e.caption_norm = RMSNorm::bind(p, "caption_norm", D, 1e-5f);
    return e;
}

pixart::AdaLayerNormSingle::Output Embeddings::embed_time(const std::vector<float>& timestep,
                                                          const std::vector<float>* guidance,
                                                          kernels::Backend& ops) const {
    if (adaln) return adaln->forward(timestep, 0, 0, ops);
    // Sprint: embedded = timestep_embedder(sinusoid(t)) + guidance_embedder(sinusoid(g)): [B, D]
    const int64_t B = static_cast<int64_t>(timestep.size()), D = time_linear.in;
    pixart::AdaLayerNormSingle::Output o;
    o.embedded = timestep_embedder->forward(pixart::timestep_sinusoid(timestep), ops);
    const Tensor g = guidance_embedder->forward(pixart::timestep_sinusoid(*guidance), ops);
    ops.add_gated(o.embedded.ptr(), g.ptr(), nullptr, 1, B, D);
    Tensor act = o.embedded.clone();
    ops.silu(act.ptr(), act.numel());
    o.modulation = time_linear.forward(act, B, ops);  // [B, 6D]
    return o;
}

PromptCache Embeddings::encode_prompt(const Tensor& prompt_embeds, const std::vector<int32_t>& mask,
                                      const std::vector<TransformerBlock>& blocks, const SanaConfig& k,
                                      const char* who, kernels::Backend& ops) const {
    // prompt_embeds: [B, L, caption_channels]
    const std::string name = who;
    if (prompt_embeds.ndim() != 3 || prompt_embeds.dim(2) != k.caption_channels || prompt_embeds.dim(0) < 1 ||
        prompt_embeds.dim(1) < 1)
        throw Error(name + ": prompt embeddings must be [B, L, " + std::to_string(k.caption_channels) + "], got " +
                    shape_str(prompt_embeds.shape()));
    const int64_t B = prompt_embeds.dim(0), L = prompt_embeds.dim(1), D = k.hidden();
    if (static_cast<int64_t>(mask.size()) != B * L)
        throw Error(name + ": the prompt mask has " + std::to_string(mask.size()) + " entries; " +
                    shape_str(prompt_embeds.shape()) + " embeddings need " + std::to_string(B * L));
    PromptCache cache;
    cache.B = static_cast<int>(B);
    cache.L = static_cast<int>(L);
    Tensor key_bias({B, L});
    for (int64_t i = 0; i < B * L; ++i) {
        if (mask[i] != 0 && mask[i] != 1)
            throw Error(name + ": prompt mask entry " + std::to_string(i) + " is " + std::to_string(mask[i]) +
                        "; expected 0 (padding) or 1 (token)");
        key_bias[i] = (1.0f - static_cast<float>(mask[i])) * -10000.0f;
    }
    cache.key_bias = key_bias.to(ops);
    Tensor caption = caption_projection.forward(prompt_embeds, B * L, ops);  // [B*L, D]
    caption_norm.forward(caption.ptr(), caption.ptr(), B * L, ops);
    for (const auto& block : blocks) {
        Tensor kk = block.attn2.to_k.forward(caption, B * L, ops);  // [B*L, D]
        if (block.attn2.norm_k.present()) block.attn2.norm_k.forward(kk.ptr(), kk.ptr(), B * L, ops);
        cache.k.push_back(kk.reshape({B, L, D}));
        cache.v.push_back(block.attn2.to_v.forward(caption, B * L, ops).reshape({B, L, D}));
    }
    return cache;
}

std::vector<TransformerBlock> bind_blocks(ParamBinder& p, const SanaConfig& k, int n) {
    const int64_t D = k.hidden();
    std::vector<TransformerBlock> blocks;
    for (int i = 0; i < n; ++i) {
        const std::string b = "transformer_blocks." + std::to_string(i);
        TransformerBlock t;
        t.dim = D;
        t.eps = k.norm_eps;
        t.scale_shift_table = p.bind(b + ".scale_shift_table", {6, D});
        t.attn1 = Attention::bind(p, b + ".attn1", D, D, k.heads, k.head_dim, k.attention_bias, k.qk_norm);
        t.attn2 = Attention::bind(p, b + ".attn2", D, k.cross_attention_dim, k.cross_heads, k.cross_head_dim, true,
                                  k.qk_norm);
        t.ff = MixFFN::bind(p, b + ".ff", D, k.ffn_hidden());
        blocks.push_back(std::move(t));
    }
    return blocks;
}

}  // namespace sana
}  // namespace dit
