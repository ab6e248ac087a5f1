#include "engine/models/autoencoder_dc/dc_blocks.h"

#include "engine/error.h"

namespace dit::dcae {
namespace {

constexpr float kNormEps = 1e-5f;      // get_normalization's and GLUMBConv's RMSNorm eps
constexpr float kAttentionEps = 1e-15f;  // SanaMultiscaleLinearAttention's eps

void activate(Tensor& x, Activation act, kernels::Backend& ops) {
    if (act == Activation::Silu) ops.silu(x.ptr(), x.numel());
    else ops.relu(x.ptr(), x.numel());
}

void check_input(const Tensor& x, int64_t channels, const char* what) {
    if (x.ndim() != 4 || x.dim(0) != 1 || x.dim(1) != channels)
        throw Error(std::string("AutoencoderDC ") + what + " expects [1, " + std::to_string(channels) +
                    ", H, W], got " + shape_str(x.shape()));
}

}  // namespace

void add_into(Tensor& out, const Tensor& y, kernels::Backend& ops) {
    const int64_t rows = out.dim(0) * out.dim(1);
    ops.add_gated(out.ptr(), y.ptr(), nullptr, 1, rows, out.numel() / rows);
}

// ---- Conv ----------------------------------------------------------------------------------

Conv Conv::bind(ParamBinder& p, const std::string& prefix, int64_t cin, int64_t cout, int64_t k, bool bias,
                int64_t groups, int64_t stride, bool linear) {
    Conv c;
    c.cin = cin;
    c.cout = cout;
    c.k = k;
    c.groups = groups;
    c.stride = stride;
    if (linear) {
        c.weight = p.bind(prefix + ".weight", {cout, cin});
        if (!c.weight.empty()) c.weight = c.weight.reshape({cout, cin, 1, 1});
    } else {
        c.weight = p.bind(prefix + ".weight", {cout, cin / groups, k, k});
    }
    if (bias) c.bias = p.bind(prefix + ".bias", {cout});
    return c;
}

void Conv::forward_into(const Tensor& x, float* out, kernels::Backend& ops) const {
    // x: [1, cin, H, W] -> out: [cout, OH, OW]; a grouped conv is one conv per group, each group's
    // input and output channels a contiguous block of the single image.
    check_input(x, cin, "conv");
    const int64_t H = x.dim(2), W = x.dim(3), pad = k / 2;
    const int64_t cin_g = cin / groups, cout_g = cout / groups;
    kernels::Conv2dArgs a;
    a.N = 1;
    a.Cin = cin_g;
    a.H = H;
    a.W = W;
    a.Cout = cout_g;
    a.KH = a.KW = k;
    a.stride = stride;
    a.pad_top = a.pad_bottom = a.pad_left = a.pad_right = pad;
    const int64_t out_plane = a.out_h() * a.out_w();
    for (int64_t g = 0; g < groups; ++g) {
        a.x = x.ptr() + g * cin_g * H * W;
        a.w = weight.ptr() + g * cout_g * cin_g * k * k;
        a.b = bias.empty() ? nullptr : bias.ptr() + g * cout_g;
        a.y = out + g * cout_g * out_plane;
        ops.conv2d(a);
    }
}

Tensor Conv::forward(const Tensor& x, kernels::Backend& ops) const {
    const int64_t pad = k / 2;
    const int64_t oh = (x.dim(2) + 2 * pad - k) / stride + 1, ow = (x.dim(3) + 2 * pad - k) / stride + 1;
    Tensor out = Tensor::on(ops, {1, cout, oh, ow});
    forward_into(x, out.ptr(), ops);
    return out;
}

// ---- ChannelRMSNorm --------------------------------------------------------------------------

ChannelRMSNorm ChannelRMSNorm::bind(ParamBinder& p, const std::string& prefix, int64_t channels) {
    ChannelRMSNorm n;
    n.channels = channels;
    n.weight = p.bind(prefix + ".weight", {channels});
    n.bias = p.bind(prefix + ".bias", {channels});
    return n;
}

void ChannelRMSNorm::forward_inplace(Tensor& x, kernels::Backend& ops) const {
    // x: [1, C, H, W] -> [1, HW, C] -> norm over C -> back
    const int64_t C = channels, P = x.dim(2) * x.dim(3);
    Tensor t = Tensor::on(ops, {P, C});
    ops.transpose(x.ptr(), t.ptr(), 1, C, P);
    ops.rms_norm_affine(t.ptr(), t.ptr(), P, C, kNormEps, weight.ptr(), 0.0f, bias.ptr());
    ops.transpose(t.ptr(), x.ptr(), 1, P, C);
}

// ---- ResBlock --------------------------------------------------------------------------------

ResBlock ResBlock::bind(ParamBinder& p, const std::string& prefix, int64_t channels, Activation act) {
    ResBlock b;
    b.conv1 = Conv::bind(p, prefix + ".conv1", channels, channels, 3, true);
    b.conv2 = Conv::bind(p, prefix + ".conv2", channels, channels, 3, false);
    b.norm = ChannelRMSNorm::bind(p, prefix + ".norm", channels);
    b.act = act;
    return b;
}

Tensor ResBlock::forward(const Tensor& x, kernels::Backend& ops) const {
    // x: [1, C, H, W] -> norm(conv2(act(conv1(x)))) + x
    Tensor h = conv1.forward(x, ops);
    activate(h, act, ops);
    h = conv2.forward(h, ops);
    norm.forward_inplace(h, ops);
    add_into(h, x, ops);
    return h;
}

// ---- EfficientViTBlock -----------------------------------------------------------------------

EfficientViTBlock EfficientViTBlock::bind(ParamBinder& p, const std::string& prefix, int64_t channels,
                                          int64_t head_dim, const std::vector<int64_t>& scales) {
    EfficientViTBlock b;
    b.channels = channels;
    b.head_dim = head_dim;
    b.heads = channels / head_dim;  // int(in_channels // attention_head_dim * mult), mult 1
    const int64_t inner = b.heads * head_dim, qkv = 3 * inner;
    const std::string a = prefix + ".attn.";
    b.to_q = Conv::bind(p, a + "to_q", channels, inner, 1, false, 1, 1, true);
    b.to_k = Conv::bind(p, a + "to_k", channels, inner, 1, false, 1, 1, true);
    b.to_v = Conv::bind(p, a + "to_v", channels, inner, 1, false, 1, 1, true);
    for (size_t s = 0; s < scales.size(); ++s) {
        const std::string m = a + "to_qkv_multiscale." + std::to_string(s);
        MultiscaleProjection proj;
        proj.proj_in = Conv::bind(p, m + ".proj_in", qkv, qkv, scales[s], false, qkv);
        proj.proj_out = Conv::bind(p, m + ".proj_out", qkv, qkv, 1, false, 3 * b.heads);
        b.multiscale.push_back(std::move(proj));
    }
    b.to_out = Conv::bind(p, a + "to_out", inner * int64_t(1 + scales.size()), channels, 1, false, 1, 1, true);
    b.attn_norm = ChannelRMSNorm::bind(p, a + "norm_out", channels);
    const std::string c = prefix + ".conv_out.";
    const int64_t hidden = 4 * channels;  // GLUMBConv's expand_ratio 4
    b.conv_inverted = Conv::bind(p, c + "conv_inverted", channels, 2 * hidden, 1, true);
    b.conv_depth = Conv::bind(p, c + "conv_depth", 2 * hidden, 2 * hidden, 3, true, 2 * hidden);
    b.conv_point = Conv::bind(p, c + "conv_point", hidden, channels, 1, false);
    b.conv_norm = ChannelRMSNorm::bind(p, c + "norm", channels);
    return b;
}

Tensor EfficientViTBlock::forward(const Tensor& x, kernels::Backend& ops) const {
    // x: [1, C, H, W] -> glumbconv(attention(x) + x) + (attention(x) + x)
    check_input(x, channels, "EfficientViTBlock");
    const int64_t H = x.dim(2), W = x.dim(3), P = H * W, inner = heads * head_dim;
    const int64_t S = 1 + int64_t(multiscale.size());
    // qkv: [S * 3 * inner, H, W]: [q; k; v] then each scale's aggregation of it
    Tensor qkv = Tensor::on(ops, {1, S * 3 * inner, H, W});
    to_q.forward_into(x, qkv.ptr(), ops);
    to_k.forward_into(x, qkv.ptr() + inner * P, ops);
    to_v.forward_into(x, qkv.ptr() + 2 * inner * P, ops);
    Tensor first = Tensor::on(ops, {1, 3 * inner, H, W});
    ops.copy(first.ptr(), qkv.ptr(), sizeof(float) * size_t(3 * inner * P));
    for (size_t s = 0; s < multiscale.size(); ++s) {
        const Tensor spread = multiscale[s].proj_in.forward(first, ops);  // depthwise k x k
        multiscale[s].proj_out.forward_into(spread, qkv.ptr() + int64_t(s + 1) * 3 * inner * P, ops);
    }
    // [S * heads, 3 * head_dim, P] -> [S * heads, head_dim, P] = [1, S * inner, H, W]
    Tensor attn = Tensor::on(ops, {1, S * inner, H, W});
    ops.relu_linear_attention_nchw(qkv.ptr(), attn.ptr(), 1, S * heads, head_dim, P, kAttentionEps);
    Tensor h = to_out.forward(attn, ops);
    attn_norm.forward_inplace(h, ops);
    add_into(h, x, ops);

    // GLUMBConv: conv_point(hidden * silu(gate)), [hidden; gate] = conv_depth(silu(conv_inverted(h)))
    Tensor g = conv_inverted.forward(h, ops);
    ops.silu(g.ptr(), g.numel());
    g = conv_depth.forward(g, ops);
    const int64_t hidden = g.dim(1) / 2;
    float* gate = g.ptr() + hidden * P;
    ops.silu(gate, hidden * P);
    ops.mul(g.ptr(), gate, hidden * P);
    const Tensor gated = g.reshape({2, hidden, H, W}).slice0(0, 1);
    Tensor out = conv_point.forward(gated, ops);
    conv_norm.forward_inplace(out, ops);
    add_into(out, h, ops);
    return out;
}

// ---- DCDownBlock2d / DCUpBlock2d -------------------------------------------------------------

DownBlock DownBlock::bind(ParamBinder& p, const std::string& prefix, int64_t cin, int64_t cout, bool pixel_unshuffle) {
    DownBlock b;
    b.cin = cin;
    b.cout = cout;
    b.pixel_unshuffle = pixel_unshuffle;
    // pixel_unshuffle: a stride-1 conv to cout / 4 channels, then space-to-channel; otherwise a
    // stride-2 conv straight to cout.
    b.conv = pixel_unshuffle ? Conv::bind(p, prefix + ".conv", cin, cout / 4, 3, true)
                             : Conv::bind(p, prefix + ".conv", cin, cout, 3, true, 1, 2);
    return b;
}

Tensor DownBlock::forward(const Tensor& x, kernels::Backend& ops) const {
    // x: [1, cin, H, W] -> conv path + mean over runs of cin*4/cout channels of unshuffle(x)
    check_input(x, cin, "down block");
    const int64_t H = x.dim(2), W = x.dim(3);
    Tensor out = Tensor::on(ops, {1, cout, H / 2, W / 2});
    if (pixel_unshuffle) {
        const Tensor c = conv.forward(x, ops);
        ops.pixel_unshuffle(c.ptr(), out.ptr(), 1, cout / 4, H, W, 2);
    } else {
        conv.forward_into(x, out.ptr(), ops);
    }
    Tensor unshuffled = Tensor::on(ops, {1, cin * 4, H / 2, W / 2});
    ops.pixel_unshuffle(x.ptr(), unshuffled.ptr(), 1, cin, H, W, 2);
    Tensor shortcut = Tensor::on(ops, {1, cout, H / 2, W / 2});
    ops.channel_mean(unshuffled.ptr(), shortcut.ptr(), 1, cout, cin * 4 / cout, (H / 2) * (W / 2));
    add_into(out, shortcut, ops);
    return out;
}

UpBlock UpBlock::bind(ParamBinder& p, const std::string& prefix, int64_t cin, int64_t cout, bool interpolate) {
    UpBlock b;
    b.cin = cin;
    b.cout = cout;
    b.interpolate = interpolate;
    b.conv = Conv::bind(p, prefix + ".conv", cin, interpolate ? cout : cout * 4, 3, true);
    return b;
}

Tensor UpBlock::forward(const Tensor& x, kernels::Backend& ops) const {
    // x: [1, cin, H, W] -> conv path + shuffle(repeat_interleave(x, cout*4/cin))
    check_input(x, cin, "up block");
    const int64_t H = x.dim(2), W = x.dim(3);
    Tensor out = Tensor::on(ops, {1, cout, 2 * H, 2 * W});
    if (interpolate) {
        Tensor up = Tensor::on(ops, {1, cin, 2 * H, 2 * W});
        ops.upsample_nearest2x(x.ptr(), up.ptr(), 1, cin, H, W);
        conv.forward_into(up, out.ptr(), ops);
    } else {
        const Tensor c = conv.forward(x, ops);
        ops.pixel_shuffle(c.ptr(), out.ptr(), 1, cout, H, W, 2);
    }
    const int64_t repeats = cout * 4 / cin;
    Tensor repeated = Tensor::on(ops, {1, cin * repeats, H, W});
    ops.channel_repeat(x.ptr(), repeated.ptr(), 1, cin, repeats, H * W);
    Tensor shortcut = Tensor::on(ops, {1, cout, 2 * H, 2 * W});
    ops.pixel_shuffle(repeated.ptr(), shortcut.ptr(), 1, cout, H, W, 2);
    add_into(out, shortcut, ops);
    return out;
}

Tensor forward(const StageBlock& block, const Tensor& x, kernels::Backend& ops) {
    return std::visit([&](const auto& b) { return b.forward(x, ops); }, block);
}

}  // namespace dit::dcae
