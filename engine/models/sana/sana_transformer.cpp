#include "engine/models/sana/sana_transformer.h"

#include <cmath>

#include "engine/error.h"
#include "engine/io/config.h"
#include "engine/io/config_fields.h"
#include "engine/io/weights.h"

namespace dit {

using config_fields::int_in;
using config_fields::require_bool;
using config_fields::where;

SanaConfig SanaConfig::from(const Config& c) {
    const std::string cls = c.get_string("_class_name");
    if (cls != "SanaTransformer2DModel")
        throw Error(where(c, "_class_name") + " is \"" + cls + "\"; expected \"SanaTransformer2DModel\"");
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

std::unique_ptr<SanaTransformer2DModel> SanaTransformer2DModel::load(const std::filesystem::path& component_dir,
                                                                    kernels::Backend& ops,
                                                                    const std::filesystem::path& weights) {
    auto m = std::unique_ptr<SanaTransformer2DModel>(new SanaTransformer2DModel());
    const Config c = Config::read(component_dir / "config.json");
    m->cfg_ = SanaConfig::from(c);
    const SanaConfig& k = m->cfg_;
    const WeightStore store = WeightStore::open(weights.empty() ? component_dir : weights);
    ParamBinder p(store, "transformer", ops);
    p.ignore_prefix("patch_embed.pos_embed");  // PatchEmbed's training-size table, a buffer
    const int64_t D = k.hidden();

    m->patch_embed_ = pixart::PatchEmbed::bind(p, k.in_channels, D, k.patch_size, k.sample_size / k.patch_size,
                                               k.interpolation_scale.value_or(1.0f), "patch_embed",
                                               k.interpolation_scale.has_value());
    if (k.guidance_embeds) {
        m->timestep_embedder_ = pixart::TimestepEmbedding::bind(p, "time_embed.timestep_embedder", 256, D);
        m->guidance_embedder_ = pixart::TimestepEmbedding::bind(p, "time_embed.guidance_embedder", 256, D);
        m->time_linear_ = pixart::Linear::bind(p, "time_embed.linear", D, 6 * D);
    } else {
        m->adaln_ = pixart::AdaLayerNormSingle::bind(p, D, false, "time_embed");
    }
    m->caption_projection_ = pixart::TextProjection::bind(p, k.caption_channels, D);
    m->caption_norm_ = sana::RMSNorm::bind(p, "caption_norm", D, 1e-5f);
    for (int i = 0; i < k.num_layers; ++i) {
        const std::string b = "transformer_blocks." + std::to_string(i);
        sana::TransformerBlock t;
        t.dim = D;
        t.eps = k.norm_eps;
        t.scale_shift_table = p.bind(b + ".scale_shift_table", {6, D});
        t.attn1 = sana::Attention::bind(p, b + ".attn1", D, D, k.heads, k.head_dim, k.attention_bias, k.qk_norm);
        t.attn2 = sana::Attention::bind(p, b + ".attn2", D, k.cross_attention_dim, k.cross_heads, k.cross_head_dim,
                                        true, k.qk_norm);
        t.ff = sana::MixFFN::bind(p, b + ".ff", D, k.ffn_hidden());
        m->transformer_blocks_.push_back(std::move(t));
    }
    m->scale_shift_table_ = p.bind("scale_shift_table", {2, D});
    m->proj_out_ = pixart::Linear::bind(p, "proj_out", D, int64_t(k.patch_size) * k.patch_size * k.out_channels);
    p.finish();
    return m;
}

SanaTransformer2DModel::PromptCache SanaTransformer2DModel::encode_prompt(const Tensor& prompt_embeds,
                                                                       const std::vector<int32_t>& mask,
                                                                       kernels::Backend& ops) const {
    // prompt_embeds: [B, L, caption_channels]
    if (prompt_embeds.ndim() != 3 || prompt_embeds.dim(2) != cfg_.caption_channels || prompt_embeds.dim(0) < 1 ||
        prompt_embeds.dim(1) < 1)
        throw Error("Sana transformer: prompt embeddings must be [B, L, " + std::to_string(cfg_.caption_channels) +
                    "], got " + shape_str(prompt_embeds.shape()));
    const int64_t B = prompt_embeds.dim(0), L = prompt_embeds.dim(1), D = cfg_.hidden();
    if (static_cast<int64_t>(mask.size()) != B * L)
        throw Error("Sana transformer: the prompt mask has " + std::to_string(mask.size()) + " entries; " +
                    shape_str(prompt_embeds.shape()) + " embeddings need " + std::to_string(B * L));
    PromptCache cache;
    cache.B = static_cast<int>(B);
    cache.L = static_cast<int>(L);
    Tensor key_bias({B, L});
    for (int64_t i = 0; i < B * L; ++i) {
        if (mask[i] != 0 && mask[i] != 1)
            throw Error("Sana transformer: prompt mask entry " + std::to_string(i) + " is " + std::to_string(mask[i]) +
                        "; expected 0 (padding) or 1 (token)");
        key_bias[i] = (1.0f - static_cast<float>(mask[i])) * -10000.0f;
    }
    cache.key_bias = key_bias.to(ops);
    Tensor caption = caption_projection_.forward(prompt_embeds, B * L, ops);  // [B*L, D]
    caption_norm_.forward(caption.ptr(), caption.ptr(), B * L, ops);
    for (const auto& block : transformer_blocks_) {
        Tensor k = block.attn2.to_k.forward(caption, B * L, ops);  // [B*L, D]
        if (block.attn2.norm_k.present()) block.attn2.norm_k.forward(k.ptr(), k.ptr(), B * L, ops);
        cache.k.push_back(k.reshape({B, L, D}));
        cache.v.push_back(block.attn2.to_v.forward(caption, B * L, ops).reshape({B, L, D}));
    }
    return cache;
}

pixart::AdaLayerNormSingle::Output SanaTransformer2DModel::embed_time(const std::vector<float>& timestep,
                                                                      const std::vector<float>* guidance,
                                                                      kernels::Backend& ops) const {
    if (adaln_) return adaln_->forward(timestep, 0, 0, ops);
    // Sprint: embedded = timestep_embedder(sinusoid(t)) + guidance_embedder(sinusoid(g)): [B, D]
    const int64_t B = static_cast<int64_t>(timestep.size()), D = cfg_.hidden();
    pixart::AdaLayerNormSingle::Output o;
    o.embedded = timestep_embedder_->forward(pixart::timestep_sinusoid(timestep), ops);
    const Tensor g = guidance_embedder_->forward(pixart::timestep_sinusoid(*guidance), ops);
    ops.add_gated(o.embedded.ptr(), g.ptr(), nullptr, 1, B, D);
    Tensor act = o.embedded.clone();
    ops.silu(act.ptr(), act.numel());
    o.modulation = time_linear_.forward(act, B, ops);  // [B, 6D]
    return o;
}

Tensor SanaTransformer2DModel::forward(const Tensor& latent, const std::vector<float>& timestep,
                                       const PromptCache& prompt, kernels::Backend& ops,
                                       const std::vector<float>* guidance,
                                       const std::function<bool()>* cancelled) const {
    const int64_t p = cfg_.patch_size;
    if (latent.ndim() != 4 || latent.dim(1) != cfg_.in_channels)
        throw Error("Sana transformer: latent must be [B, " + std::to_string(cfg_.in_channels) + ", H, W], got " +
                    shape_str(latent.shape()));
    const int64_t B = latent.dim(0), H = latent.dim(2), W = latent.dim(3);
    if (B < 1 || H < 1 || W < 1) throw Error("Sana transformer: empty latent " + shape_str(latent.shape()));
    if (H % p || W % p)
        throw Error("Sana transformer: latent size " + std::to_string(H) + "x" + std::to_string(W) +
                    " (height x width) is not a multiple of the patch size " + std::to_string(p));
    if (static_cast<int64_t>(timestep.size()) != B)
        throw Error("Sana transformer: " + std::to_string(timestep.size()) + " timesteps for a batch of " +
                    std::to_string(B));
    if (cfg_.guidance_embeds != (guidance != nullptr))
        throw Error(cfg_.guidance_embeds ? "Sana transformer: this model embeds a guidance value (guidance_embeds); none was given"
                                         : "Sana transformer: a guidance value was given to a model without guidance_embeds");
    if (guidance && static_cast<int64_t>(guidance->size()) != B)
        throw Error("Sana transformer: " + std::to_string(guidance->size()) + " guidance values for a batch of " +
                    std::to_string(B));
    if (prompt.B != B || static_cast<int>(prompt.k.size()) != cfg_.num_layers ||
        static_cast<int>(prompt.v.size()) != cfg_.num_layers || prompt.key_bias.numel() != int64_t(prompt.B) * prompt.L)
        throw Error("Sana transformer: the prompt cache holds " + std::to_string(prompt.B) + " prompt(s) for " +
                    std::to_string(prompt.k.size()) + " blocks; this call needs " + std::to_string(B) + " for " +
                    std::to_string(cfg_.num_layers));

    const int64_t D = cfg_.hidden(), gh = H / p, gw = W / p, N = gh * gw, C = cfg_.out_channels;
    Tensor x = patch_embed_.forward(latent, ops);  // [B, N, D]
    const auto cond = embed_time(timestep, guidance, ops);
    sana::BlockBuffers buf(B, N, D, cfg_.ffn_hidden(), ops);
    for (size_t i = 0; i < transformer_blocks_.size(); ++i) {
        if (cancelled && *cancelled && (*cancelled)()) throw Cancelled();
        transformer_blocks_[i].forward(x.ptr(), cond.modulation.ptr(), prompt.k[i].ptr(), prompt.v[i].ptr(),
                                       prompt.key_bias.ptr(), prompt.L, gh, gw, buf, ops);
    }

    // norm_out (SanaModulatedNorm): shift, scale = scale_shift_table[2, D] + embedded [B, D].
    float* mods = buf.mods.ptr();  // [2, B, D] of the [6, B, D] buffer
    for (int64_t j = 0; j < 2; ++j)
        ops.adaln_modulation(scale_shift_table_.ptr() + j * D, cond.embedded.ptr(), mods + j * B * D, 1, B, D);
    float* h = buf.norm.ptr();
    ops.layer_norm_modulate(x.ptr(), h, B, N, D, 1e-6f, mods, mods + B * D);
    const int64_t P = p * p * C;
    Tensor y = Tensor::on(ops, {B * N, P});  // token (b, y, x) holds [py, px, c]
    proj_out_.forward(h, y.ptr(), B * N, ops);
    Tensor out = Tensor::on(ops, {B, C, H, W});
    ops.unpatchify(y.ptr(), out.ptr(), B, C, H, W, p);
    return out.to_host();  // [B, out_channels, H, W]
}

}  // namespace dit
