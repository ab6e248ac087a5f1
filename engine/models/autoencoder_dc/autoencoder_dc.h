#pragma once
// diffusers' AutoencoderDC (DC-AE, the Sana autoencoder; f32c32: 32x spatial compression to 32
// latent channels), loaded from a component folder (config.json +
// diffusion_pytorch_model.safetensors) by its checkpoint key names:
//   encoder.conv_in, encoder.down_blocks.{i}.{j} (blocks, then a DCDownBlock2d), encoder.conv_out
//   decoder.conv_in, decoder.up_blocks.{i}.{j} (a DCUpBlock2d, then blocks), decoder.norm_out,
//   decoder.conv_out
// (engine/models/autoencoder_dc/dc_blocks.h has the blocks). Latents crossing this interface
// are in the diffusion model's scale: encode gives encoder(x) * scaling_factor and decode
// divides by it first, as the Sana pipeline does around the transformer.
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/models/autoencoder_dc/dc_blocks.h"
#include "engine/tensor.h"
#include "kernels/cpu/ops.h"

namespace dit {

class Config;

struct AutoencoderDCConfig {
    int in_channels = 3;
    int latent_channels = 32;
    int attention_head_dim = 32;
    // Per stage, for the encoder and the decoder: "ResBlock" or "EfficientViTBlock".
    std::vector<std::string> encoder_block_types, decoder_block_types;
    std::vector<int64_t> encoder_block_out_channels, decoder_block_out_channels;
    std::vector<int64_t> encoder_layers_per_block, decoder_layers_per_block;
    std::vector<std::vector<int64_t>> encoder_qkv_multiscales, decoder_qkv_multiscales;
    bool downsample_pixel_unshuffle = false;  // downsample_block_type "pixel_unshuffle" (else "conv")
    bool upsample_interpolate = true;         // upsample_block_type "interpolate" (else "pixel_shuffle")
    std::vector<dcae::Activation> decoder_act_fns;  // per stage
    float scaling_factor = 1.0f;

    // Pixels per latent pixel along each axis: 2^(stages - 1), 32 for f32c32.
    int downscale() const { return 1 << (static_cast<int>(encoder_block_out_channels.size()) - 1); }
    // Reads and validates config.json (strings or per-stage lists, as diffusers accepts); errors
    // name the file and the field.
    static AutoencoderDCConfig from(const Config& c);
};

// How decode_tiled cuts a latent: tiles of `tile` latent pixels started every `stride` latent
// pixels; neighbours overlap by (tile - stride) latent pixels, over which the later tile's
// decoded pixels are blended in linearly (diffusers' tiled_decode rule for DC-AE from v0.33:
// 512-pixel tiles every 448 pixels, i.e. 16 and 14 latent pixels at f32).
struct DCTiling {
    int tile = 16;
    int stride = 14;
};

class AutoencoderDC {
public:
    static std::unique_ptr<AutoencoderDC> load(const std::filesystem::path& component_dir,
                                               kernels::Backend& ops = kernels::fast());
    const AutoencoderDCConfig& config() const { return cfg_; }

    // image [N, in, H, W] in [-1, 1] (H, W multiples of downscale()) -> scaled latent
    // [N, latent, H/f, W/f] = encoder(image) * scaling_factor.
    Tensor encode(const Tensor& image, kernels::Backend& ops, const std::function<bool()>* cancelled = nullptr) const;
    // scaled latent [N, latent, h, w] -> image [N, in, f*h, f*w] in about [-1, 1].
    Tensor decode(const Tensor& latent, kernels::Backend& ops, const std::function<bool()>* cancelled = nullptr) const;
    // The same through overlapping tiles (DCTiling), so memory follows the tile, not the image.
    // A latent no larger than one tile decodes untiled. The linear attention sees only its tile,
    // so the result differs from decode() by the blending (checked in tests/engine).
    Tensor decode_tiled(const Tensor& latent, kernels::Backend& ops, DCTiling tiling = {},
                        const std::function<bool()>* cancelled = nullptr) const;

private:
    Tensor encode_one(const Tensor& image, kernels::Backend& ops, const std::function<bool()>* cancelled) const;
    Tensor decode_one(const Tensor& latent, kernels::Backend& ops, const std::function<bool()>* cancelled) const;

    struct EncoderStage {
        std::vector<dcae::StageBlock> blocks;
        std::vector<dcae::DownBlock> down;  // zero or one
    };
    struct DecoderStage {
        std::vector<dcae::UpBlock> up;  // zero or one, before the blocks
        std::vector<dcae::StageBlock> blocks;
    };

    AutoencoderDCConfig cfg_;
    dcae::Conv enc_conv_in_, enc_conv_out_;
    std::vector<EncoderStage> enc_stages_;
    dcae::Conv dec_conv_in_, dec_conv_out_;
    std::vector<DecoderStage> dec_stages_;  // by stage index; run from the last to the first
    dcae::ChannelRMSNorm dec_norm_out_;
};

}  // namespace dit
