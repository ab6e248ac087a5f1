#pragma once
// diffusers' SanaControlNetModel (v0.34), by its checkpoint keys: the Sana input side
// (patch_embed, time_embed, caption_projection, caption_norm; sana_embeddings.h), num_layers
// Sana blocks (transformer_blocks.*), input_block (a zero-initialised D -> D linear) and one
// zero-initialised D -> D linear per block (controlnet_blocks.{j}):
//   x = patch_embed(latent) + input_block(patch_embed(control_latent))
//   for each block j: x = block_j(x); residual_j = controlnet_blocks.j(x) * conditioning_scale
// The base SanaTransformer2DModel adds residual j after its block j + 1 (its forward's
// control_residuals). Unlike PixArt-δ's ControlNet-Transformer the branch runs apart from the
// base, once per step, on the same latent, timestep and prompt.
#include <filesystem>
#include <functional>
#include <memory>
#include <vector>

#include "engine/models/sana/sana_embeddings.h"

namespace dit {

class SanaControlNetModel {
public:
    static std::unique_ptr<SanaControlNetModel> load(const std::filesystem::path& component_dir,
                                                     kernels::Backend& ops = kernels::fast(),
                                                     const std::filesystem::path& weights = {});
    const SanaConfig& config() const { return cfg_; }

    // As SanaTransformer2DModel::encode_prompt, for this branch's own blocks.
    sana::PromptCache encode_prompt(const Tensor& prompt_embeds, const std::vector<int32_t>& mask,
                                    kernels::Backend& ops) const;

    // latent, control_latent: [B, in_channels, H, W] (the control image through the VAE, scaled
    // as the latent is); timestep: B values, the base's. Returns num_layers residuals [B, N, D]
    // in ops's memory, each already times conditioning_scale. Polls *cancelled between blocks.
    // skip_blocks (RelaCtrl pruning, 0-based): blocks not run; the branch's state passes them
    // unchanged and their residual is an empty Tensor, which the base skips.
    std::vector<Tensor> forward(const Tensor& latent, const Tensor& control_latent, const std::vector<float>& timestep,
                                const sana::PromptCache& prompt, float conditioning_scale, kernels::Backend& ops,
                                const std::function<bool()>* cancelled = nullptr,
                                const std::vector<int>* skip_blocks = nullptr) const;

private:
    SanaConfig cfg_;
    sana::Embeddings embed_;
    std::vector<sana::TransformerBlock> transformer_blocks_;
    sana::Linear input_block_;
    std::vector<sana::Linear> controlnet_blocks_;
};

}  // namespace dit
