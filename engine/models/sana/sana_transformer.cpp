#include "engine/models/sana/sana_transformer.h"

#include <cmath>

#include "engine/error.h"
#include "engine/io/config.h"
#include "engine/io/weights.h"

namespace dit {

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
    m->embed_ = sana::Embeddings::bind(p, k);
    m->transformer_blocks_ = sana::bind_blocks(p, k, k.num_layers);
    m->scale_shift_table_ = p.bind("scale_shift_table", {2, D});
    m->proj_out_ = pixart::Linear::bind(p, "proj_out", D, int64_t(k.patch_size) * k.patch_size * k.out_channels);
    p.finish();
    return m;
}

SanaTransformer2DModel::PromptCache SanaTransformer2DModel::encode_prompt(const Tensor& prompt_embeds,
                                                                       const std::vector<int32_t>& mask,
                                                                       kernels::Backend& ops) const {
    return embed_.encode_prompt(prompt_embeds, mask, transformer_blocks_, cfg_, "Sana transformer", ops);
}

Tensor SanaTransformer2DModel::forward(const Tensor& latent, const std::vector<float>& timestep,
                                       const PromptCache& prompt, kernels::Backend& ops,
                                       const std::vector<float>* guidance,
                                       const std::function<bool()>* cancelled,
                                       const std::vector<Tensor>* control_residuals) const {
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
    if (control_residuals)
        for (const Tensor& r : *control_residuals)
            if (!r.empty() && r.shape() != Shape{B, N, D})
                throw Error("Sana transformer: a control residual is " + shape_str(r.shape()) + ", the stream " +
                            shape_str({B, N, D}));
    Tensor x = embed_.patch_embed.forward(latent, ops);  // [B, N, D]
    const auto cond = embed_.embed_time(timestep, guidance, ops);
    sana::BlockBuffers buf(B, N, D, cfg_.ffn_hidden(), ops);
    for (size_t i = 0; i < transformer_blocks_.size(); ++i) {
        if (cancelled && *cancelled && (*cancelled)()) throw Cancelled();
        transformer_blocks_[i].forward(x.ptr(), cond.modulation.ptr(), prompt.k[i].ptr(), prompt.v[i].ptr(),
                                       prompt.key_bias.ptr(), prompt.L, gh, gw, buf, ops);
        // After block i: residual i - 1 (empty when its control block was pruned).
        if (control_residuals && i >= 1 && i <= control_residuals->size() && !(*control_residuals)[i - 1].empty())
            ops.add_gated(x.ptr(), (*control_residuals)[i - 1].ptr(), nullptr, B, N, D);
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
