#pragma once
// diffusers' AutoencoderKL (the SD / SDXL / PixArt VAE): Encoder -> quant_conv -> posterior mean,
// and post_quant_conv -> Decoder, loaded from a diffusers component folder (config.json +
// diffusion_pytorch_model.safetensors) by its checkpoint key names. Latents crossing this
// interface are in the diffusion model's scale: (mean - shift_factor) * scaling_factor.
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "engine/models/autoencoder_kl/vae_blocks.h"
#include "engine/tensor.h"
#include "kernels/cpu/ops.h"

namespace dit {

class Config;

struct AutoencoderKLConfig {
    int in_channels = 3;
    int out_channels = 3;
    int latent_channels = 4;
    std::vector<int> block_out_channels{64};
    int layers_per_block = 1;
    int norm_num_groups = 32;
    float scaling_factor = 0.18215f;
    float shift_factor = 0.0f;  // null in the config means 0
    bool use_quant_conv = true;
    bool use_post_quant_conv = true;
    bool mid_block_add_attention = true;

    // Pixels per latent pixel along each axis: 2^(blocks - 1), 8 for SD/SDXL/PixArt.
    int downscale() const { return 1 << (static_cast<int>(block_out_channels.size()) - 1); }
    // Reads and validates config.json; errors name the file and the field.
    static AutoencoderKLConfig from(const Config& c);
};

class AutoencoderKL {
public:
    // `component_dir` holds config.json and the weights (single or sharded safetensors).
    static std::unique_ptr<AutoencoderKL> load(const std::filesystem::path& component_dir,
                                               kernels::Backend& ops = kernels::fast());
    const AutoencoderKLConfig& config() const { return cfg_; }

    // image [N, in, H, W] in [-1, 1] (H, W multiples of downscale()) -> the posterior mean,
    // scaled for the diffusion model: (mean - shift) * scaling_factor, [N, latent, H/f, W/f].
    Tensor encode(const Tensor& image, kernels::Backend& ops,
                  const std::function<bool()>* cancelled = nullptr) const;
    // scaled latent [N, latent, h, w] -> image [N, out, f*h, f*w] in about [-1, 1]; unscales
    // first: z / scaling_factor + shift.
    Tensor decode(const Tensor& latent, kernels::Backend& ops,
                  const std::function<bool()>* cancelled = nullptr) const;

private:
    struct DownBlock {
        std::vector<vae::ResnetBlock2D> resnets;
        std::optional<vae::Downsample2D> downsampler;
    };
    struct UpBlock {
        std::vector<vae::ResnetBlock2D> resnets;
        std::optional<vae::Upsample2D> upsampler;
    };

    AutoencoderKLConfig cfg_;
    // encoder.*
    vae::Conv2d enc_conv_in_;
    std::vector<DownBlock> down_blocks_;
    vae::UNetMidBlock2D enc_mid_;
    vae::GroupNorm enc_norm_out_;
    vae::Conv2d enc_conv_out_;  // -> 2 * latent_channels (mean, logvar)
    std::optional<vae::Conv2d> quant_conv_;
    // decoder.*
    std::optional<vae::Conv2d> post_quant_conv_;
    vae::Conv2d dec_conv_in_;
    vae::UNetMidBlock2D dec_mid_;
    std::vector<UpBlock> up_blocks_;
    vae::GroupNorm dec_norm_out_;
    vae::Conv2d dec_conv_out_;
};

}  // namespace dit
