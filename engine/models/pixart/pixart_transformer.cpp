#include "engine/models/pixart/pixart_transformer.h"

#include <algorithm>
#include <cmath>

#include "engine/error.h"
#include "engine/io/config.h"
#include "engine/io/config_fields.h"
#include "engine/io/weights.h"

namespace dit {
namespace {

using config_fields::where;
using config_fields::require_bool;
using config_fields::require_string;
constexpr auto int_field = config_fields::int_in;

const char* kResolutionKey = "adaln_single.emb.resolution_embedder.linear_1.weight";

}  // namespace

// The token lists must split [0, N) exactly; the cache is (re)sized on a refresh.
void PixArtTransformer2DModel::check_lazy(LazyTokens& lazy, int64_t B, int64_t N, kernels::Backend& ops) const {
    if (int64_t(lazy.active.size() + lazy.cached.size()) != N)
        throw Error("PixArt transformer: lazy forward with " + std::to_string(lazy.active.size()) + " active and " +
                    std::to_string(lazy.cached.size()) + " cached tokens, the latent has " + std::to_string(N));
    std::vector<char> seen(size_t(N), 0);
    for (const auto* list : {&lazy.active, &lazy.cached})
        for (int32_t t : *list) {
            if (t < 0 || t >= N || seen[size_t(t)])
                throw Error("PixArt transformer: lazy token index " + std::to_string(t) +
                            " is out of range or listed twice (" + std::to_string(N) + " tokens)");
            seen[size_t(t)] = 1;
        }
    if (lazy.active.empty()) throw Error("PixArt transformer: lazy forward with no active token");
    const Shape shape{B, N, int64_t(cfg_.hidden())};
    const kernels::Backend* memory = ops.host_memory() ? nullptr : &ops;
    auto fits = [&](const Tensor& t) { return t.shape() == shape && t.device() == memory; };
    const bool sized = int(lazy.k.size()) == cfg_.num_layers && int(lazy.v.size()) == cfg_.num_layers &&
                       std::all_of(lazy.k.begin(), lazy.k.end(), fits) && std::all_of(lazy.v.begin(), lazy.v.end(), fits);
    if (sized) return;
    if (!lazy.refresh)
        throw Error("PixArt transformer: lazy forward before its cache was filled (run a refresh first)");
    lazy.k.assign(size_t(cfg_.num_layers), Tensor());
    lazy.v.assign(size_t(cfg_.num_layers), Tensor());
    for (int i = 0; i < cfg_.num_layers; ++i) lazy.k[i] = Tensor::on(ops, shape), lazy.v[i] = Tensor::on(ops, shape);
}

PixArtConfig PixArtConfig::from(const Config& c) {
    const std::string cls = c.get_string("_class_name");
    if (cls != "PixArtTransformer2DModel" && cls != "Transformer2DModel")
        throw Error(where(c, "_class_name") + " is \"" + cls +
                    "\"; expected \"PixArtTransformer2DModel\" or \"Transformer2DModel\"");
    PixArtConfig k;
    c.get_int("sample_size");  // required: throws naming the field when missing
    k.sample_size = int_field(c, "sample_size", 128, 1, 1 << 16);
    k.in_channels = int_field(c, "in_channels", 4, 1, 4096);
    k.out_channels = c.has("out_channels") ? int_field(c, "out_channels", 8, 1, 4096) : k.in_channels;
    k.num_layers = int_field(c, "num_layers", 28, 1, 1024);
    k.heads = int_field(c, "num_attention_heads", 16, 1, 1024);
    k.head_dim = int_field(c, "attention_head_dim", 72, 1, 4096);
    k.patch_size = int_field(c, "patch_size", 2, 1, 64);
    if (!c.has("caption_channels"))
        throw Error(where(c, "caption_channels") +
                    " is missing; PixArt transformers without a caption projection are not supported");
    k.caption_channels = int_field(c, "caption_channels", 4096, 1, 1 << 16);
    k.cross_attention_dim = int_field(c, "cross_attention_dim", 1152, 1, 1 << 16);
    k.norm_eps = static_cast<float>(c.get_float("norm_eps", 1e-6));
    if (!(k.norm_eps > 0.0f)) throw Error(where(c, "norm_eps") + " must be > 0");
    k.interpolation_scale = c.has("interpolation_scale")
                                ? static_cast<float>(c.get_float("interpolation_scale"))
                                : static_cast<float>(std::max(k.sample_size / 64, 1));
    if (!(k.interpolation_scale > 0.0f) || !std::isfinite(k.interpolation_scale))
        throw Error(where(c, "interpolation_scale") + " must be a positive number");
    k.micro_conditioning = c.get_bool("use_additional_conditions", false);

    const int64_t D = k.hidden();
    if (D % 4)
        throw Error(where(c, "num_attention_heads") + " x attention_head_dim = " + std::to_string(D) +
                    " must be a multiple of 4 (2D sin-cos position embedding)");
    // The caption projection outputs D channels, and attn2.to_k/to_v read them.
    if (k.cross_attention_dim != D)
        throw Error(where(c, "cross_attention_dim") + " is " + std::to_string(k.cross_attention_dim) +
                    " but the caption projection yields the hidden size " + std::to_string(D));
    if (k.sample_size < k.patch_size)
        throw Error(where(c, "sample_size") + " " + std::to_string(k.sample_size) + " is smaller than patch_size " +
                    std::to_string(k.patch_size));
    require_string(c, "norm_type", "ada_norm_single");
    require_string(c, "activation_fn", "gelu-approximate");
    require_string(c, "attention_type", "default");
    require_bool(c, "norm_elementwise_affine", false);
    require_bool(c, "attention_bias", true);
    require_bool(c, "only_cross_attention", false);
    require_bool(c, "double_self_attention", false);
    return k;
}

std::unique_ptr<PixArtTransformer2DModel> PixArtTransformer2DModel::load(const std::filesystem::path& component_dir,
                                                                        kernels::Backend& ops,
                                                                        const std::filesystem::path& weights) {
    auto m = std::unique_ptr<PixArtTransformer2DModel>(new PixArtTransformer2DModel());
    const Config c = Config::read(component_dir / "config.json");
    m->cfg_ = PixArtConfig::from(c);
    auto& k = m->cfg_;
    const WeightStore store = WeightStore::open(weights.empty() ? component_dir : weights);
    ParamBinder p(store, "transformer", ops);

    // An explicit use_additional_conditions decides, as in diffusers (which then ignores embedder
    // weights it switched off). Without it, diffusers would switch it on iff sample_size == 128;
    // we let the weights decide, so a checkpoint is never run without embedders it carries.
    const bool explicit_micro = c.has("use_additional_conditions");
    if (!explicit_micro) k.micro_conditioning = store.contains(kResolutionKey);
    if (!k.micro_conditioning && explicit_micro) {
        p.ignore_prefix("adaln_single.emb.resolution_embedder.");
        p.ignore_prefix("adaln_single.emb.aspect_ratio_embedder.");
    }
    const int64_t D = k.hidden();
    if (k.micro_conditioning && D % 3)
        throw Error(c.file().string() + ": hidden size " + std::to_string(D) +
                    " is not a multiple of 3, which the resolution/aspect-ratio conditioning needs");
    // PatchEmbed's fixed-size table is a non-persistent buffer; some exports still carry it.
    p.ignore_prefix("pos_embed.pos_embed");

    m->pos_embed_ = pixart::PatchEmbed::bind(p, k.in_channels, D, k.patch_size, k.sample_size / k.patch_size,
                                             k.interpolation_scale);
    m->adaln_single_ = pixart::AdaLayerNormSingle::bind(p, D, k.micro_conditioning);
    m->caption_projection_ = pixart::TextProjection::bind(p, k.caption_channels, D);
    for (int i = 0; i < k.num_layers; ++i)
        m->transformer_blocks_.push_back(pixart::TransformerBlock::bind(
            p, "transformer_blocks." + std::to_string(i), k.heads, k.head_dim, k.cross_attention_dim, k.norm_eps));
    m->scale_shift_table_ = p.bind("scale_shift_table", {2, D});
    m->proj_out_ = pixart::Linear::bind(p, "proj_out", D, int64_t(k.patch_size) * k.patch_size * k.out_channels);
    p.finish();
    return m;
}

PixArtTransformer2DModel::PromptCache PixArtTransformer2DModel::encode_prompt(const Tensor& prompt_embeds,
                                                                           const std::vector<int32_t>& mask,
                                                                           kernels::Backend& ops) const {
    // prompt_embeds: [B, L, caption_channels]
    if (prompt_embeds.ndim() != 3 || prompt_embeds.dim(2) != cfg_.caption_channels || prompt_embeds.dim(0) < 1 ||
        prompt_embeds.dim(1) < 1)
        throw Error("PixArt transformer: prompt embeddings must be [B, L, " + std::to_string(cfg_.caption_channels) +
                    "], got " + shape_str(prompt_embeds.shape()));
    const int64_t B = prompt_embeds.dim(0), L = prompt_embeds.dim(1), D = cfg_.hidden();
    if (static_cast<int64_t>(mask.size()) != B * L)
        throw Error("PixArt transformer: the prompt mask has " + std::to_string(mask.size()) + " entries; " +
                    shape_str(prompt_embeds.shape()) + " embeddings need " + std::to_string(B * L));
    PromptCache cache;
    cache.B = static_cast<int>(B);
    cache.L = static_cast<int>(L);
    Tensor key_bias({B, L});
    for (int64_t i = 0; i < B * L; ++i) {
        if (mask[i] != 0 && mask[i] != 1)
            throw Error("PixArt transformer: prompt mask entry " + std::to_string(i) + " is " +
                        std::to_string(mask[i]) + "; expected 0 (padding) or 1 (token)");
        key_bias[i] = (1.0f - static_cast<float>(mask[i])) * -10000.0f;
    }
    cache.key_bias = key_bias.to(ops);
    const Tensor caption = caption_projection_.forward(prompt_embeds, B * L, ops);  // [B*L, D]
    for (const auto& block : transformer_blocks_) {
        cache.k.push_back(block.attn2.to_k.forward(caption, B * L, ops).reshape({B, L, D}));
        cache.v.push_back(block.attn2.to_v.forward(caption, B * L, ops).reshape({B, L, D}));
    }
    return cache;
}

Tensor PixArtTransformer2DModel::forward(const Tensor& latent, const std::vector<float>& timestep,
                                         const PromptCache& prompt, int image_height, int image_width,
                                         kernels::Backend& ops, const std::function<bool()>* cancelled,
                                         const ForwardExtras* extras) const {
    const int64_t p = cfg_.patch_size;
    if (latent.ndim() != 4 || latent.dim(1) != cfg_.in_channels)
        throw Error("PixArt transformer: latent must be [B, " + std::to_string(cfg_.in_channels) +
                    ", H, W], got " + shape_str(latent.shape()));
    const int64_t B = latent.dim(0), H = latent.dim(2), W = latent.dim(3);
    if (B < 1 || H < 1 || W < 1)
        throw Error("PixArt transformer: empty latent " + shape_str(latent.shape()));
    if (H % p || W % p)
        throw Error("PixArt transformer: latent size " + std::to_string(H) + "x" + std::to_string(W) +
                    " (height x width) is not a multiple of the patch size " + std::to_string(p));
    if (static_cast<int64_t>(timestep.size()) != B)
        throw Error("PixArt transformer: " + std::to_string(timestep.size()) + " timesteps for a batch of " +
                    std::to_string(B));
    if (prompt.B != B || static_cast<int>(prompt.k.size()) != cfg_.num_layers ||
        static_cast<int>(prompt.v.size()) != cfg_.num_layers || prompt.key_bias.numel() != int64_t(prompt.B) * prompt.L)
        throw Error("PixArt transformer: the prompt cache holds " + std::to_string(prompt.B) + " prompt(s) for " +
                    std::to_string(prompt.k.size()) + " blocks; this call needs " + std::to_string(B) + " for " +
                    std::to_string(cfg_.num_layers));
    if (cfg_.micro_conditioning && (image_height < 1 || image_width < 1))
        throw Error("PixArt transformer: image size " + std::to_string(image_height) + "x" +
                    std::to_string(image_width) + " must be positive (resolution conditioning)");

    const int64_t D = cfg_.hidden(), N_all = (H / p) * (W / p), C = cfg_.out_channels;
    Tensor x = pos_embed_.forward(latent, ops);  // [B, N_all, D]
    const auto cond = adaln_single_.forward(timestep, image_height, image_width, ops);

    // Lazy inpainting: a refresh runs every token and records the cached tokens' K/V; a lazy
    // forward runs only the active tokens (N of them) against that cache.
    LazyTokens* lazy = extras ? extras->lazy : nullptr;
    pixart::BlockExtras block_extras = extras ? extras->block : pixart::BlockExtras{};
    block_extras.grid_h = H / p, block_extras.grid_w = W / p;
    IndexArray active, cached, active_groups;
    if (lazy) {
        check_lazy(*lazy, B, N_all, ops);
        active = IndexArray(ops, lazy->active);
        cached = IndexArray(ops, lazy->cached);
    }
    const bool subset = lazy && !lazy->refresh;
    const int64_t N = subset ? int64_t(lazy->active.size()) : N_all;
    if (subset) {
        Tensor picked = Tensor::on(ops, {B, N, D});
        ops.gather_tokens(x.ptr(), N_all, picked.ptr(), N, active.ptr(), N, B, D);
        x = std::move(picked);
        if (block_extras.query_group) {  // regional groups are given per image token
            if (!extras->query_group_host)
                throw Error("PixArt transformer: regional groups without their host copy (ForwardExtras)");
            std::vector<int32_t> groups(size_t(B * N));
            for (int64_t b = 0; b < B; ++b)
                for (int64_t j = 0; j < N; ++j)
                    groups[b * N + j] = extras->query_group_host[b * N_all + lazy->active[j]];
            active_groups = IndexArray(ops, groups);
            block_extras.query_group = active_groups.ptr();
        }
    }
    pixart::SelfAttentionCache self_cache;
    if (lazy) {
        self_cache.n_all = N_all;
        self_cache.n_fresh = int64_t(lazy->active.size());
        self_cache.cached = cached.ptr();
        self_cache.record = lazy->refresh;
        block_extras.self_cache = &self_cache;
    }
    pixart::BlockBuffers buf(B, N, D, ops);
    StepCache* step_cache = extras ? extras->step_cache : nullptr;
    if (step_cache && lazy) throw Error("PixArt transformer: step caching does not combine with a lazy forward");
    bool skip = false;
    if (step_cache) {  // TeaCache's signal: block 0's norm1(x) * (1 + scale_msa) + shift_msa, [B, N, D]
        const pixart::TransformerBlock& first = transformer_blocks_.front();
        float* mods = buf.mods.ptr();
        ops.adaln_modulation(first.scale_shift_table.ptr(), cond.modulation.ptr(), mods, 6, B, D);
        ops.layer_norm_modulate(x.ptr(), buf.norm.ptr(), B, N, D, first.eps, mods, mods + B * D);
        skip = step_cache->skip(buf.norm.ptr(), B * N * D, ops);
    }
    if (skip) step_cache->reuse(x.ptr(), B * N * D, ops);
    if (step_cache && !skip) step_cache->keep_input(x.ptr(), B * N * D, ops);
    for (size_t i = 0; i < transformer_blocks_.size() && !skip; ++i) {
        if (cancelled && *cancelled && (*cancelled)()) throw Cancelled();
        if (lazy) {
            self_cache.k = lazy->k[i].ptr();
            self_cache.v = lazy->v[i].ptr();
        }
        transformer_blocks_[i].forward(x.ptr(), cond.modulation.ptr(), prompt.k[i].ptr(), prompt.v[i].ptr(),
                                       prompt.key_bias.ptr(), prompt.L, buf, ops, extras ? &block_extras : nullptr);
        if (extras && extras->after_block) extras->after_block(static_cast<int>(i), x.ptr(), N, cond.modulation.ptr());
    }
    if (step_cache && !skip) step_cache->store_residual(x.ptr(), B * N * D, ops);

    // Final layer: shift, scale = scale_shift_table[2, D] + the embedded timestep (pre-SiLU),
    // each [B, D]: one adaLN chunk (J = 1) per row of the table.
    float* mods = buf.mods.ptr();  // [2, B, D] of the [6, B, D] buffer
    for (int64_t j = 0; j < 2; ++j)
        ops.adaln_modulation(scale_shift_table_.ptr() + j * D, cond.embedded.ptr(), mods + j * B * D, 1, B, D);
    float* h = buf.norm.ptr();
    ops.layer_norm_modulate(x.ptr(), h, B, N, D, 1e-6f, mods, mods + B * D);  // norm_out: eps fixed at 1e-6
    const int64_t P = p * p * C;
    Tensor y = Tensor::on(ops, {B * N_all, P});  // token (b, y, x) holds [py, px, c]
    if (subset) {  // the skipped tokens' rows stay zero
        Tensor part = Tensor::on(ops, {B * N, P});
        proj_out_.forward(h, part.ptr(), B * N, ops);
        ops.scatter_tokens(part.ptr(), N, y.ptr(), N_all, active.ptr(), N, B, P);
    } else {
        proj_out_.forward(h, y.ptr(), B * N, ops);
    }

    // Unpatchify: out[b, c, y*p + py, x*p + px] = y[b, y, x, py, px, c].
    Tensor out = Tensor::on(ops, {B, C, H, W});
    ops.unpatchify(y.ptr(), out.ptr(), B, C, H, W, p);
    return out.to_host();  // [B, out_channels, H, W]
}

}  // namespace dit
