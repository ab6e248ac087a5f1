#include "engine/models/sana/sana_controlnet.h"

#include <algorithm>

#include "engine/error.h"
#include "engine/io/config.h"
#include "engine/io/weights.h"

namespace dit {

std::unique_ptr<SanaControlNetModel> SanaControlNetModel::load(const std::filesystem::path& component_dir,
                                                              kernels::Backend& ops,
                                                              const std::filesystem::path& weights) {
    auto m = std::unique_ptr<SanaControlNetModel>(new SanaControlNetModel());
    const Config c = Config::read(component_dir / "config.json");
    m->cfg_ = SanaConfig::from(c, "SanaControlNetModel");
    const SanaConfig& k = m->cfg_;
    if (k.guidance_embeds || k.qk_norm)
        throw Error(c.file().string() + ": SanaControlNetModel has no guidance embedding or QK norms (fields "
                    "'guidance_embeds', 'qk_norm')");
    const WeightStore store = WeightStore::open(weights.empty() ? component_dir : weights);
    ParamBinder p(store, "controlnet", ops);
    p.ignore_prefix("patch_embed.pos_embed");
    const int64_t D = k.hidden();
    m->embed_ = sana::Embeddings::bind(p, k);
    m->transformer_blocks_ = sana::bind_blocks(p, k, k.num_layers);
    m->input_block_ = sana::Linear::bind(p, "input_block", D, D);
    for (int j = 0; j < k.num_layers; ++j)
        m->controlnet_blocks_.push_back(sana::Linear::bind(p, "controlnet_blocks." + std::to_string(j), D, D));
    p.finish();
    return m;
}

sana::PromptCache SanaControlNetModel::encode_prompt(const Tensor& prompt_embeds, const std::vector<int32_t>& mask,
                                                     kernels::Backend& ops) const {
    return embed_.encode_prompt(prompt_embeds, mask, transformer_blocks_, cfg_, "Sana ControlNet", ops);
}

std::vector<Tensor> SanaControlNetModel::forward(const Tensor& latent, const Tensor& control_latent,
                                                 const std::vector<float>& timestep, const sana::PromptCache& prompt,
                                                 float conditioning_scale, kernels::Backend& ops,
                                                 const std::function<bool()>* cancelled,
                                                 const std::vector<int>* skip_blocks) const {
    const int64_t p = cfg_.patch_size;
    if (latent.ndim() != 4 || latent.dim(1) != cfg_.in_channels || latent.dim(2) % p || latent.dim(3) % p ||
        latent.dim(0) < 1)
        throw Error("Sana ControlNet: latent must be [B, " + std::to_string(cfg_.in_channels) +
                    ", H, W] with H, W multiples of " + std::to_string(p) + ", got " + shape_str(latent.shape()));
    if (control_latent.shape() != latent.shape())
        throw Error("Sana ControlNet: the control latent is " + shape_str(control_latent.shape()) + ", the latent " +
                    shape_str(latent.shape()));
    const int64_t B = latent.dim(0), gh = latent.dim(2) / p, gw = latent.dim(3) / p, N = gh * gw, D = cfg_.hidden();
    if (static_cast<int64_t>(timestep.size()) != B || prompt.B != B ||
        static_cast<int>(prompt.k.size()) != cfg_.num_layers)
        throw Error("Sana ControlNet: " + std::to_string(timestep.size()) + " timesteps and a prompt cache of " +
                    std::to_string(prompt.B) + " for a batch of " + std::to_string(B));

    // x = patch_embed(latent) + input_block(patch_embed(control_latent)): [B, N, D]
    Tensor x = embed_.patch_embed.forward(latent, ops);
    const Tensor cond_tokens = embed_.patch_embed.forward(control_latent, ops);
    const Tensor injected = input_block_.forward(cond_tokens, B * N, ops);
    ops.add_gated(x.ptr(), injected.ptr(), nullptr, B, N, D);
    const auto cond = embed_.embed_time(timestep, nullptr, ops);
    sana::BlockBuffers buf(B, N, D, cfg_.ffn_hidden(), ops);
    std::vector<Tensor> residuals;
    for (size_t j = 0; j < transformer_blocks_.size(); ++j) {
        if (cancelled && *cancelled && (*cancelled)()) throw Cancelled();
        if (skip_blocks && std::find(skip_blocks->begin(), skip_blocks->end(), int(j)) != skip_blocks->end()) {
            residuals.emplace_back();
            continue;
        }
        transformer_blocks_[j].forward(x.ptr(), cond.modulation.ptr(), prompt.k[j].ptr(), prompt.v[j].ptr(),
                                       prompt.key_bias.ptr(), prompt.L, gh, gw, buf, ops);
        Tensor r = controlnet_blocks_[j].forward(x, B * N, ops).reshape({B, N, D});  // [B, N, D]
        ops.affine(r.ptr(), r.numel(), conditioning_scale, 0.0f);
        residuals.push_back(std::move(r));
    }
    return residuals;
}

}  // namespace dit
