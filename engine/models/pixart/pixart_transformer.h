#pragma once
// diffusers' PixArtTransformer2DModel (PixArt-α and PixArt-Σ; older α checkpoints name it
// Transformer2DModel), loaded from a diffusers component folder (config.json + weights) by its
// checkpoint key names:
//   latent -> pos_embed (patchify + 2D sin-cos) -> N x BasicTransformerBlock (adaLN-single,
//   self-attn, cross-attn to the projected caption, GELU-tanh FF) -> norm_out + final modulation
//   (scale_shift_table [2, D] + the timestep embedding) -> proj_out -> unpatchify.
// The cross-attention keys and values depend only on the prompt, so they are computed once per
// generation (encode_prompt) and reused by every denoising step.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <vector>

#include "engine/models/pixart/pixart_block.h"
#include "engine/models/pixart/pixart_embeddings.h"
#include "engine/models/step_cache.h"
#include "engine/tensor.h"
#include "kernels/cpu/ops.h"

namespace dit {

class Config;

struct PixArtConfig {
    int sample_size = 128;  // latent pixels of the training resolution (position table base)
    int in_channels = 4;
    int out_channels = 8;  // 2 x in_channels when the model learns its variance (α, Σ)
    int num_layers = 28;
    int heads = 16;
    int head_dim = 72;
    int patch_size = 2;
    int caption_channels = 4096;
    int cross_attention_dim = 1152;
    float norm_eps = 1e-6f;
    float interpolation_scale = 1.0f;  // null in the config: max(sample_size / 64, 1)
    // α's resolution / aspect-ratio conditioning. The config's use_additional_conditions decides
    // when present; otherwise the presence of the resolution_embedder weights does.
    bool micro_conditioning = false;
    int hidden() const { return heads * head_dim; }
    // Reads and validates config.json (errors name the file and the field). micro_conditioning
    // is left at the config's explicit value, or false when it has none.
    static PixArtConfig from(const Config& c);
};

// Lazy inpainting (engine/pipeline/inpaint_lazy.h, docs/inpainting.md): which tokens run the
// blocks, and the per-block self-attention K/V of the others.
struct LazyTokens {
    // Token indices (row-major over the patch grid): `active` run the blocks, `cached` (the rest,
    // in cache slot order) are only seen as keys/values. Disjoint; together all N tokens.
    std::vector<int32_t> active, cached;
    // Per block, [B, N, D]: slots [active.size(), N) hold the cached tokens' K/V (see
    // pixart::SelfAttentionCache); sized, in the backend's memory, by the transformer on the
    // first refresh.
    std::vector<Tensor> k, v;
    // This forward runs every token (a plain forward, same output) and fills k/v for `cached`.
    // Otherwise it runs `active` only, attends over their fresh K/V plus the cache, and returns
    // zeros for the cached tokens' output.
    bool refresh = true;
};

// What one forward needs beyond the plain text-to-image call. Each feature owns its fields.
struct ForwardExtras {
    // ControlNet-Transformer: called after base block `block` with the residual stream
    // x: [B, n, D] (n tokens in this forward) and adaln_single's modulation [B, 6D]; it adds the
    // control branch's residual to x in place (the input of block `block + 1`).
    std::function<void(int block, float* x, int64_t n, const float* modulation)> after_block;
    // Regional prompts: cross-attention groups, see pixart::BlockExtras (backend memory), and
    // the same query groups in host memory, from which a lazy forward picks its tokens' groups.
    pixart::BlockExtras block;
    const int32_t* query_group_host = nullptr;
    // Lazy inpainting; null: every token runs. With it, after_block's x holds this forward's
    // n tokens: lazy->active in that order (or all N in image order on a refresh), and
    // block.query_group is given for all N tokens (the forward picks the active ones).
    LazyTokens* lazy = nullptr;
    // Step caching (engine/models/step_cache.h): may replace the block stack (and after_block's
    // controls in it) by the last residual. Not with `lazy`, whose token count varies by step.
    StepCache* step_cache = nullptr;
};

class PixArtTransformer2DModel {
public:
    // `component_dir` holds config.json and the weights (single or sharded safetensors, or GGUF);
    // `weights`, when given, is a single file used instead of the folder's weights. The model runs
    // on `ops`, whose memory holds its small parameters (ParamBinder::bind).
    static std::unique_ptr<PixArtTransformer2DModel> load(const std::filesystem::path& component_dir,
                                                          kernels::Backend& ops = kernels::fast(),
                                                          const std::filesystem::path& weights = {});
    const PixArtConfig& config() const { return cfg_; }
    // Shared with the ControlNet-Transformer, which embeds its control latent with the base's
    // patch embedding and projects the caption once for its own cross-attention.
    const pixart::PatchEmbed& pos_embed() const { return pos_embed_; }
    const pixart::TextProjection& caption_projection() const { return caption_projection_; }

    // The prompt's cross-attention keys/values depend only on the prompt: computed once per
    // generation, not per step.
    struct PromptCache {
        int B = 0, L = 0;
        std::vector<Tensor> k, v;  // per block [B, L, D]
        Tensor key_bias;           // [B, L]: 0 for a kept token, -10000 for padding
        // All in the memory of the backend that encoded the prompt.
    };
    // prompt_embeds: [B, L, caption_channels]; mask: [B*L], 1 keep / 0 padding.
    PromptCache encode_prompt(const Tensor& prompt_embeds, const std::vector<int32_t>& mask,
                              kernels::Backend& ops) const;

    // latent: [B, in_channels, H, W] (H, W multiples of patch_size); timestep: one per batch item
    // (0..999 scale); image_height/width: the image size in pixels (micro-conditioning only).
    // Returns [B, out_channels, H, W] in host memory (the latent may be in either). Polls
    // *cancelled between blocks (throws dit::Cancelled).
    Tensor forward(const Tensor& latent, const std::vector<float>& timestep, const PromptCache& prompt,
                   int image_height, int image_width, kernels::Backend& ops,
                   const std::function<bool()>* cancelled = nullptr, const ForwardExtras* extras = nullptr) const;

private:
    void check_lazy(LazyTokens& lazy, int64_t B, int64_t N, kernels::Backend& ops) const;

    PixArtConfig cfg_;
    pixart::PatchEmbed pos_embed_;
    pixart::AdaLayerNormSingle adaln_single_;
    pixart::TextProjection caption_projection_;
    std::vector<pixart::TransformerBlock> transformer_blocks_;
    Tensor scale_shift_table_;  // [2, D]: shift, scale of the final modulation
    pixart::Linear proj_out_;   // D -> p * p * out_channels
};

}  // namespace dit
