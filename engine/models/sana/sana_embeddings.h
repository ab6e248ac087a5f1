#pragma once
// The input side shared by SanaTransformer2DModel and SanaControlNetModel, by checkpoint keys:
// patch_embed (patchify, the sin-cos table only with interpolation_scale), time_embed
// (adaLN-single, or with guidance_embeds the timestep + guidance embeddings before the same
// SiLU + linear), caption_projection and caption_norm; plus the config both read and the
// prompt's per-block cross-attention K/V.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/models/sana/sana_block.h"
#include "engine/tensor.h"

namespace dit {

class Config;

struct SanaConfig {
    int sample_size = 32;
    int in_channels = 32;
    int out_channels = 32;
    int num_layers = 20;
    int heads = 70;
    int head_dim = 32;
    int cross_heads = 20;
    int cross_head_dim = 112;
    int cross_attention_dim = 2240;
    int caption_channels = 2304;
    double mlp_ratio = 2.5;
    bool attention_bias = false;
    int patch_size = 1;
    float norm_eps = 1e-6f;
    std::optional<float> interpolation_scale;  // set: the sin-cos position table is added
    bool guidance_embeds = false;              // Sana-Sprint
    float guidance_embeds_scale = 0.1f;        // the pipeline multiplies the guidance by it
    bool qk_norm = false;                      // "rms_norm_across_heads" (Sana-Sprint)
    float timestep_scale = 1.0f;               // the pipeline multiplies the timestep by it
    int hidden() const { return heads * head_dim; }
    int64_t ffn_hidden() const { return static_cast<int64_t>(mlp_ratio * hidden()); }  // Python's int()
    // Reads and validates config.json of a `class_name` component; errors name the file and the
    // field.
    static SanaConfig from(const Config& c, const std::string& class_name = "SanaTransformer2DModel");
};

namespace sana {

// Per block [B, L, D]: attn2.to_k (norm_k applied) and to_v of the normed caption, and the
// padding bias [B, L] (0 keep, -10000 pad). In the memory of the backend that encoded it.
struct PromptCache {
    int B = 0, L = 0;
    std::vector<Tensor> k, v;
    Tensor key_bias;
};

struct Embeddings {
    pixart::PatchEmbed patch_embed;
    std::optional<pixart::AdaLayerNormSingle> adaln;  // time_embed without guidance
    std::optional<pixart::TimestepEmbedding> timestep_embedder, guidance_embedder;  // with guidance
    Linear time_linear;                                // D -> 6D, with guidance only
    pixart::TextProjection caption_projection;
    RMSNorm caption_norm;

    static Embeddings bind(ParamBinder& p, const SanaConfig& k);
    // time_embed -> (modulation [B, 6D], embedded [B, D]); guidance given iff guidance_embeds.
    pixart::AdaLayerNormSingle::Output embed_time(const std::vector<float>& timestep,
                                                  const std::vector<float>* guidance, kernels::Backend& ops) const;
    // prompt_embeds: [B, L, caption_channels], mask [B*L] -> the blocks' cross-attention cache.
    // `who` names the model in errors.
    PromptCache encode_prompt(const Tensor& prompt_embeds, const std::vector<int32_t>& mask,
                              const std::vector<TransformerBlock>& blocks, const SanaConfig& k, const char* who,
                              kernels::Backend& ops) const;
};

// transformer_blocks.{0..n-1}
std::vector<TransformerBlock> bind_blocks(ParamBinder& p, const SanaConfig& k, int n);

}  // namespace sana
}  // namespace dit
