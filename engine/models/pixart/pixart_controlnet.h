#pragma once
// PixArt-δ's ControlNet-Transformer adapter as diffusers' research project lays it out
// (PixArtControlNetAdapterModel: `controlnet_blocks.{j}.before_proj` on block 0 only,
// `.transformer_block.*` a BasicTransformerBlock, `.after_proj`), plus RelaCtrl's placement of the
// control blocks at chosen base blocks.
//
// Data flow, per forward (base blocks i = 0..num_layers-1, control blocks j = 0..n-1 at base
// block b_j = block_indices[j], default b_j = j as in PixArt-δ):
//   cond   = pos_embed(control latent)              the base model's own patch embedding
//   after base block b_0:  c = x + before_proj(cond)
//   after base block b_j:  c = transformer_block_j(c);  x += weight * after_proj_j(c)
// so control block j reads base block b_j's output (only block 0 reads x; the others chain on c),
// and its zero-initialised after_proj feeds the input of base block b_j + 1. diffusers runs the
// copy "before block b_j + 1", which is the same place. A block after the last base block would
// feed nothing, so block_indices must stay below num_layers - 1.
//
// Everything here that depends only on the control image, before_proj(pos_embed(latent)), is
// computed once per request by `condition` and cached by the caller (engine/pipeline/controls).
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "engine/models/pixart/pixart_block.h"
#include "engine/models/pixart/pixart_transformer.h"
#include "engine/tensor.h"
#include "kernels/cpu/ops.h"

namespace dit {

class Config;

struct PixArtControlNetConfig {
    int num_layers = 13;             // control blocks (PixArt-δ: N = 13)
    std::vector<int> block_indices;  // base block each control block follows; default 0..N-1
    // Reads config.json (`num_layers`, optional `block_indices`) and checks it against the base
    // transformer it will run with; errors name the file and the field.
    static PixArtControlNetConfig from(const Config& c, const PixArtConfig& base);
};

class PixArtControlNetAdapter {
public:
    // `dir` holds config.json and the weights; the block shapes come from the base transformer
    // (diffusers' adapter blocks take the base's sizes). One error names every missing,
    // mis-shaped or unexpected key.
    static std::unique_ptr<PixArtControlNetAdapter> load(const std::filesystem::path& dir, const PixArtConfig& base,
                                                         kernels::Backend& ops = kernels::fast());
    const PixArtControlNetConfig& config() const { return cfg_; }
    const std::filesystem::path& dir() const { return dir_; }
    int64_t hidden() const { return dim_; }

    // What depends only on the control image: before_proj(pos_embed(control_latent)).
    // control_latent: [1, Cin, H, W] (VAE-encoded and scaled) -> [N, D]
    Tensor condition(const PixArtTransformer2DModel& base, const Tensor& control_latent,
                     kernels::Backend& ops) const;

    // The control blocks' own cross-attention keys/values of the projected caption, once per
    // generation. caption: [B*L, D] (the base's caption_projection output).
    struct PromptCache {
        int B = 0, L = 0;
        std::vector<Tensor> k, v;  // per control block [B, L, D]
    };
    PromptCache encode_prompt(const Tensor& caption, int B, int L, kernels::Backend& ops) const;

    // Control block 0's input: state[b] = x[b] + condition, x and state: [B, N, D], condition [N, D].
    void begin(const float* x, const Tensor& condition, float* state, int64_t B, int64_t N,
               kernels::Backend& ops) const;
    // Control block j on the control state in place, then residual = after_proj(state).
    // state, residual: [B, N, D]; modulation: [B, 6D] (the base's adaln_single output);
    // key_bias: [B, L] (the base prompt's padding bias).
    void block(int j, float* state, float* residual, const float* modulation, const PromptCache& prompt,
               const float* key_bias, pixart::BlockBuffers& buf, kernels::Backend& ops) const;

private:
    PixArtControlNetConfig cfg_;
    std::filesystem::path dir_;
    int64_t dim_ = 0;
    pixart::Linear before_proj_;  // controlnet_blocks.0.before_proj, D -> D
    std::vector<pixart::TransformerBlock> blocks_;
    std::vector<pixart::Linear> after_proj_;  // D -> D each
};

}  // namespace dit
