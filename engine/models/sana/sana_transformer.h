#pragma once
// diffusers' SanaTransformer2DModel (v0.32, plus what v0.33 added for Sana-Sprint: the guidance
// embedding and the QK norms), loaded from a component folder by its checkpoint key names:
//   latent -> patch_embed (patchify; the sin-cos table only when interpolation_scale is set, the
//   2K/4K models) -> N x SanaTransformerBlock (engine/models/sana/sana_block.h) -> norm_out and
//   the final modulation (scale_shift_table [2, D] + the embedded timestep) -> proj_out ->
//   unpatchify.
// The conditioning is time_embed: adaLN-single (time_embed.emb.timestep_embedder, time_embed.linear)
// or, with guidance_embeds, the sum of the timestep's and the guidance's embeddings
// (time_embed.timestep_embedder, time_embed.guidance_embedder) before the same SiLU + linear.
// The caption goes through caption_projection then caption_norm (RMSNorm, eps 1e-5); its
// cross-attention K/V depend only on the prompt and are computed once per generation.
//
// Config keys, as each diffusers version reads them: v0.32 in_channels, out_channels,
// num_attention_heads, attention_head_dim, num_layers, num_cross_attention_heads,
// cross_attention_head_dim, cross_attention_dim, caption_channels, mlp_ratio, attention_bias,
// sample_size, patch_size, norm_elementwise_affine, norm_eps, interpolation_scale; v0.33 adds
// guidance_embeds, guidance_embeds_scale, qk_norm, timestep_scale (the last two read by the
// pipelines, not by the model's forward). interpolation_scale null means no position table, as
// from v0.32.2 on (v0.32.0 substituted max(sample_size / 64, 1) and always added the table, which
// the released Sana checkpoints were not trained with).
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "engine/models/sana/sana_block.h"
#include "engine/models/sana/sana_embeddings.h"
#include "engine/tensor.h"
#include "kernels/cpu/ops.h"

namespace dit {

class SanaTransformer2DModel {
public:
    // As PixArtTransformer2DModel::load: component_dir holds config.json and the weights
    // (safetensors, sharded, GGUF); `weights` overrides the folder's weights with one file.
    static std::unique_ptr<SanaTransformer2DModel> load(const std::filesystem::path& component_dir,
                                                        kernels::Backend& ops = kernels::fast(),
                                                        const std::filesystem::path& weights = {});
    const SanaConfig& config() const { return cfg_; }

    using PromptCache = sana::PromptCache;
    // prompt_embeds: [B, L, caption_channels] (the text encoder's last hidden state, the rows the
    // pipeline keeps); mask: [B*L], 1 keep / 0 padding.
    PromptCache encode_prompt(const Tensor& prompt_embeds, const std::vector<int32_t>& mask,
                              kernels::Backend& ops) const;

    // latent: [B, in_channels, H, W] (H, W multiples of patch_size); timestep: B values as the
    // transformer takes them (the pipeline's scaling already applied); guidance: B values, given
    // exactly when config().guidance_embeds (already multiplied by guidance_embeds_scale).
    // control_residuals (SanaControlNetModel::forward, v0.34): [B, N, D] each in ops's memory,
    // residual j added to the stream after block j + 1, as diffusers adds
    // controlnet_block_samples[i - 1] after block i; at most num_layers - 1 of them are used.
    // Returns [B, out_channels, H, W] in host memory. Polls *cancelled between blocks.
    Tensor forward(const Tensor& latent, const std::vector<float>& timestep, const PromptCache& prompt,
                   kernels::Backend& ops, const std::vector<float>* guidance = nullptr,
                   const std::function<bool()>* cancelled = nullptr,
                   const std::vector<Tensor>* control_residuals = nullptr) const;

private:
    SanaConfig cfg_;
    sana::Embeddings embed_;
    std::vector<sana::TransformerBlock> transformer_blocks_;
    Tensor scale_shift_table_;  // [2, D]
    pixart::Linear proj_out_;   // D -> p * p * out_channels
};

}  // namespace dit
