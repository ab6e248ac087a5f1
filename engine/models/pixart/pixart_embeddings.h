#pragma once
// The input side of diffusers' PixArtTransformer2DModel, named after its checkpoint keys:
// PatchEmbed (`pos_embed.proj` + the 2D sin-cos position table), the adaLN-single conditioning
// (`adaln_single.emb.{timestep,resolution,aspect_ratio}_embedder`, `adaln_single.linear`) and
// the caption projection (`caption_projection.linear_{1,2}`). Activations are f32 row-major;
// all heavy math goes through the Backend.
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "engine/io/weights.h"
#include "engine/tensor.h"
#include "kernels/cpu/ops.h"

namespace dit::pixart {

// A PyTorch nn.Linear: weight [out, in] in the checkpoint's dtype (an f16/bf16 matrix is read
// in place from the mapping), bias [out] as f32.
struct Linear {
    Tensor weight, bias;
    int64_t in = 0, out = 0;
    // bias false: the layer has none (Sana's attention projections with attention_bias false).
    static Linear bind(ParamBinder& p, const std::string& prefix, int64_t in, int64_t out, bool bias = true);
    // x: [M, in] -> y: [M, out]
    void forward(const float* x, float* y, int64_t M, kernels::Backend& ops) const;
    Tensor forward(const Tensor& x, int64_t M, kernels::Backend& ops) const;  // y in ops's memory
    // y = gelu_tanh(forward(x)), fused where the backend can
    void forward_gelu(const float* x, float* y, int64_t M, kernels::Backend& ops) const;
};

// diffusers' Timesteps(dim, flip_sin_to_cos=True, downscale_freq_shift=0): [cos | sin] of
// t * 10000^(-i / (dim/2)). As in diffusers, the exponent and the argument t * freq are f32
// (that rounding matters at t ~ 1000); the frequency is the correctly rounded f32 exp (torch's
// CPU expf is 1 ulp off for a few of them, CUDA's differently), and sin/cos are exact.
// values: N numbers -> [N, dim]
Tensor timestep_sinusoid(const std::vector<float>& values, int64_t dim = 256);

// diffusers' get_2d_sincos_pos_embed for a grid_h x grid_w token grid: [grid_h * grid_w, dim].
// Coordinates are i / (grid / base_size) / interpolation_scale (f32, as diffusers rounds them);
// token h * grid_w + w holds [sin | cos of the w coordinate, sin | cos of the h coordinate] (the
// column coordinate fills the first half: diffusers' meshgrid puts w first).
Tensor sincos_pos_embed_2d(int64_t dim, int64_t grid_h, int64_t grid_w, int64_t base_size,
                           float interpolation_scale);

// `pos_embed`: the stride-p patchify conv, done as a linear map over p x p patches, plus the
// position table computed for the actual grid (not the training-size table). Sana names it
// `patch_embed` and most Sana checkpoints run without the table (with_positions false).
struct PatchEmbed {
    Tensor weight;  // [D, Cin * p * p]: the conv's [D, Cin, p, p] in (c, ky, kx) order
    Tensor bias;    // [D]
    int64_t in_channels = 0, dim = 0, patch = 0, base_size = 0;
    float interpolation_scale = 1.0f;
    bool with_positions = true;
    static PatchEmbed bind(ParamBinder& p, int64_t in_channels, int64_t dim, int64_t patch,
                           int64_t base_size, float interpolation_scale,
                           const std::string& prefix = "pos_embed", bool with_positions = true);
    // latent: [B, Cin, H, W] (H, W multiples of p), in any memory -> [B, (H/p) * (W/p), D] in
    // ops's memory
    Tensor forward(const Tensor& latent, kernels::Backend& ops) const;

private:
    // The last grid's position table in the last backend's memory: every step of a generation
    // uses the same one, and at 1024 px it is 4.7 M sines and cosines.
    struct PositionCache;
    std::shared_ptr<PositionCache> positions_;
    Tensor position_table(int64_t grid_h, int64_t grid_w, kernels::Backend& ops) const;
};

// diffusers' TimestepEmbedding: linear_1 -> SiLU -> linear_2.
struct TimestepEmbedding {
    Linear linear_1, linear_2;
    static TimestepEmbedding bind(ParamBinder& p, const std::string& prefix, int64_t in, int64_t dim);
    // x: [N, in] -> [N, dim]
    Tensor forward(const Tensor& x, kernels::Backend& ops) const;
};

// `adaln_single`: PixArtAlphaCombinedTimestepSizeEmbeddings + SiLU + linear to the six
// per-block modulation vectors.
struct AdaLayerNormSingle {
    TimestepEmbedding timestep_embedder;
    // PixArt-α micro-conditioning: (height, width) and height/width of the image in pixels,
    // each through the same 256-channel sinusoid, embedded to D/3 channels.
    std::optional<TimestepEmbedding> resolution_embedder, aspect_ratio_embedder;
    Linear linear;  // D -> 6D
    int64_t dim = 0;
    // prefix: "adaln_single" in PixArt, "time_embed" in Sana.
    static AdaLayerNormSingle bind(ParamBinder& p, int64_t dim, bool micro_conditioning,
                                   const std::string& prefix = "adaln_single");
    struct Output {
        Tensor modulation;  // [B, 6D]: linear(silu(embedded))
        Tensor embedded;    // [B, D]: the conditioning before SiLU (the final layer's modulation)
    };
    // timestep: B values; image size only read with micro-conditioning.
    Output forward(const std::vector<float>& timestep, int image_height, int image_width,
                   kernels::Backend& ops) const;
};

// `caption_projection` (PixArtAlphaTextProjection): linear_1 -> GELU(tanh) -> linear_2.
struct TextProjection {
    Linear linear_1, linear_2;
    static TextProjection bind(ParamBinder& p, int64_t caption_channels, int64_t dim);
    // x: [M, caption_channels] -> [M, D]
    Tensor forward(const Tensor& x, int64_t M, kernels::Backend& ops) const;
};

}  // namespace dit::pixart
