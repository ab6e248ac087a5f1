#pragma once
// The building blocks of diffusers' AutoencoderDC (DC-AE), named after their checkpoint keys:
//   ResBlock             conv1 (3x3, bias), conv2 (3x3, no bias), norm (RMSNorm across channels)
//   EfficientViTBlock    attn.* (SanaMultiscaleLinearAttention: to_q/to_k/to_v, the multi-scale
//                        aggregation to_qkv_multiscale.{s}.proj_in (depthwise) / proj_out
//                        (grouped 1x1), ReLU linear attention, to_out, norm_out) and conv_out.*
//                        (GLUMBConv: conv_inverted, conv_depth (depthwise 3x3), conv_point, norm)
//   DCDownBlock2d        conv (stride-2 conv, or conv then pixel_unshuffle) plus the space-to-
//                        channel shortcut: pixel_unshuffle, then the mean of each channel group
//   DCUpBlock2d          conv (nearest 2x then conv, or conv then pixel_shuffle) plus the
//                        channel-to-space shortcut: channels repeated, then pixel_shuffle
// Activations are [1, C, H, W] f32 tensors (the autoencoder runs one image at a time), so a
// channel range is one contiguous block; all arithmetic goes through the Backend.
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "engine/io/weights.h"
#include "engine/tensor.h"
#include "kernels/cpu/ops.h"

namespace dit::dcae {

enum class Activation { Silu, Relu };

// A Conv2d with groups (1, depthwise or grouped), "same" padding unless strided.
struct Conv {
    Tensor weight, bias;  // [cout, cin / groups, k, k], [cout] or empty (bias=False)
    int64_t cin = 0, cout = 0, k = 0, groups = 1, stride = 1;
    // `weight_shape` overrides the stored shape (nn.Linear's [cout, cin] used as a 1x1 conv).
    static Conv bind(ParamBinder& p, const std::string& prefix, int64_t cin, int64_t cout, int64_t k, bool bias,
                     int64_t groups = 1, int64_t stride = 1, bool linear = false);
    // x: [1, cin, H, W] -> out [cout, OH, OW] written at `out` (backend memory)
    void forward_into(const Tensor& x, float* out, kernels::Backend& ops) const;
    Tensor forward(const Tensor& x, kernels::Backend& ops) const;  // -> [1, cout, OH, OW]
};

// diffusers' RMSNorm(channels, eps 1e-5, weight and bias) applied across the channels of each
// pixel (movedim(1, -1), norm, movedim back).
struct ChannelRMSNorm {
    Tensor weight, bias;  // [C]
    int64_t channels = 0;
    static ChannelRMSNorm bind(ParamBinder& p, const std::string& prefix, int64_t channels);
    void forward_inplace(Tensor& x, kernels::Backend& ops) const;  // x: [1, C, H, W]
};

struct ResBlock {
    Conv conv1, conv2;
    ChannelRMSNorm norm;
    Activation act = Activation::Silu;
    static ResBlock bind(ParamBinder& p, const std::string& prefix, int64_t channels, Activation act);
    Tensor forward(const Tensor& x, kernels::Backend& ops) const;  // [1, C, H, W] -> same
};

struct MultiscaleProjection {  // to_qkv_multiscale.{s}
    Conv proj_in;   // depthwise k x k over 3 * inner channels, no bias
    Conv proj_out;  // 1x1 in 3 * heads groups, no bias
};

struct EfficientViTBlock {
    // attn.* (SanaMultiscaleLinearAttention, residual)
    Conv to_q, to_k, to_v;  // Linear [inner, C] as 1x1 convs
    std::vector<MultiscaleProjection> multiscale;
    Conv to_out;            // Linear [C, inner * (1 + scales)]
    ChannelRMSNorm attn_norm;
    // conv_out.* (GLUMBConv, residual)
    Conv conv_inverted, conv_depth, conv_point;
    ChannelRMSNorm conv_norm;
    int64_t channels = 0, heads = 0, head_dim = 0;
    static EfficientViTBlock bind(ParamBinder& p, const std::string& prefix, int64_t channels, int64_t head_dim,
                                  const std::vector<int64_t>& scales);
    Tensor forward(const Tensor& x, kernels::Backend& ops) const;  // [1, C, H, W] -> same
};

struct DownBlock {  // DCDownBlock2d with its shortcut
    Conv conv;
    bool pixel_unshuffle = false;
    int64_t cin = 0, cout = 0;
    static DownBlock bind(ParamBinder& p, const std::string& prefix, int64_t cin, int64_t cout, bool pixel_unshuffle);
    Tensor forward(const Tensor& x, kernels::Backend& ops) const;  // [1, cin, H, W] -> [1, cout, H/2, W/2]
};

struct UpBlock {  // DCUpBlock2d with its shortcut
    Conv conv;
    bool interpolate = false;
    int64_t cin = 0, cout = 0;
    static UpBlock bind(ParamBinder& p, const std::string& prefix, int64_t cin, int64_t cout, bool interpolate);
    Tensor forward(const Tensor& x, kernels::Backend& ops) const;  // [1, cin, H, W] -> [1, cout, 2H, 2W]
};

// One stage's block, in its Sequential order: a ResBlock or an EfficientViTBlock.
using StageBlock = std::variant<ResBlock, EfficientViTBlock>;
Tensor forward(const StageBlock& block, const Tensor& x, kernels::Backend& ops);

// out += y elementwise (tensors of the same shape)
void add_into(Tensor& out, const Tensor& y, kernels::Backend& ops);

}  // namespace dit::dcae
