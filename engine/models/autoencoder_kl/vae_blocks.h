#pragma once
// The building blocks of diffusers' AutoencoderKL, named after their checkpoint keys:
// ResnetBlock2D (norm1/conv1/norm2/conv2[/conv_shortcut]), the mid block's single-head
// self-attention (group_norm/to_q/to_k/to_v/to_out.0, or the legacy query/key/value/proj_attn),
// Downsample2D and Upsample2D (both `.conv`), and UNetMidBlock2D (resnets.0, attentions.0,
// resnets.1). Activations are NCHW f32 tensors; all heavy math goes through the Backend.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "engine/io/weights.h"
#include "engine/tensor.h"
#include "kernels/cpu/ops.h"

namespace dit::vae {

// Checked between blocks; throws dit::Cancelled when the caller asks to stop.
void poll(const std::function<bool()>* cancelled);

struct Conv2d {
    Tensor weight, bias;  // [Cout, Cin, K, K], [Cout]
    int64_t cin = 0, cout = 0, k = 0;
    static Conv2d bind(ParamBinder& p, const std::string& prefix, int64_t cin, int64_t cout, int64_t k);
    // x: [N, Cin, H, W] -> [N, Cout, OH, OW]; "same" padding (k / 2 each side) unless given.
    Tensor forward(const Tensor& x, kernels::Backend& ops) const;
    Tensor forward(const Tensor& x, kernels::Backend& ops, int64_t stride, int64_t pad_top,
                   int64_t pad_bottom, int64_t pad_left, int64_t pad_right) const;
};

struct GroupNorm {
    Tensor weight, bias;  // [C]
    int64_t channels = 0, groups = 0;
    static GroupNorm bind(ParamBinder& p, const std::string& prefix, int64_t channels, int64_t groups);
    // x: [N, C, H, W] -> same shape; with `silu`, the activation that always follows in the VAE.
    Tensor forward(const Tensor& x, kernels::Backend& ops, bool silu) const;
};

struct ResnetBlock2D {
    GroupNorm norm1, norm2;
    Conv2d conv1, conv2;
    std::optional<Conv2d> conv_shortcut;  // present iff the channel count changes
    static ResnetBlock2D bind(ParamBinder& p, const std::string& prefix, int64_t cin, int64_t cout,
                              int64_t groups);
    // x: [N, cin, H, W] -> [N, cout, H, W]
    Tensor forward(const Tensor& x, kernels::Backend& ops) const;
};

// Single-head self-attention over the H*W positions with a residual. The three input
// projections are packed into one [3C, C] weight so q, k and v come out of one GEMM.
struct MidAttention {
    GroupNorm group_norm;
    Tensor qkv_weight, qkv_bias;  // [3C, C], [3C]
    Tensor out_weight, out_bias;  // [C, C], [C]
    int64_t channels = 0;
    // Accepts new-style names (to_q, to_k, to_v, to_out.0) or legacy ones (query, key, value,
    // proj_attn), with Linear [C, C] or 1x1-conv [C, C, 1, 1] weights.
    static MidAttention bind(ParamBinder& p, const WeightStore& store, const std::string& prefix,
                             int64_t channels, int64_t groups);
    // x: [N, C, H, W] -> same shape
    Tensor forward(const Tensor& x, kernels::Backend& ops) const;
};

struct Downsample2D {
    Conv2d conv;  // 3x3, stride 2
    static Downsample2D bind(ParamBinder& p, const std::string& prefix, int64_t channels);
    // x: [N, C, H, W] -> [N, C, ceil(H/2), ceil(W/2)]; zero padding on the right/bottom only.
    Tensor forward(const Tensor& x, kernels::Backend& ops) const;
};

struct Upsample2D {
    Conv2d conv;  // 3x3
    static Upsample2D bind(ParamBinder& p, const std::string& prefix, int64_t channels);
    // x: [N, C, H, W] -> [N, C, 2H, 2W]: nearest-neighbour 2x, then the conv.
    Tensor forward(const Tensor& x, kernels::Backend& ops) const;
};

struct UNetMidBlock2D {
    std::vector<ResnetBlock2D> resnets;      // 2
    std::optional<MidAttention> attention;   // mid_block_add_attention
    static UNetMidBlock2D bind(ParamBinder& p, const WeightStore& store, const std::string& prefix,
                               int64_t channels, int64_t groups, bool add_attention);
    // x: [N, C, H, W] -> same shape
    Tensor forward(const Tensor& x, kernels::Backend& ops, const std::function<bool()>* cancelled) const;
};

}  // namespace dit::vae
