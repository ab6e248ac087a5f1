#include "engine/models/autoencoder_kl/vae_blocks.h"

#include <cmath>
#include <cstring>

#include "engine/error.h"

namespace dit::vae {
namespace {

constexpr float kNormEps = 1e-6f;  // every GroupNorm of diffusers' VAE

// out += y elementwise (the residual adds); the gate-less add_gated is exactly that, and any
// factorisation of the element count into [B, L, C] gives the same result.
void add_into(Tensor& out, const Tensor& y, kernels::Backend& ops) {
    const int64_t rows = out.dim(0) * out.dim(1);
    ops.add_gated(out.ptr(), y.ptr(), nullptr, 1, rows, out.numel() / rows);
}

// [N, C, L] <-> [N, L, C]
Tensor transpose12(const Tensor& x, int64_t N, int64_t A, int64_t B, kernels::Backend& ops) {
    Tensor out = Tensor::on(ops, {N, B, A});
    ops.transpose(x.ptr(), out.ptr(), N, A, B);
    return out;
}

}  // namespace

void poll(const std::function<bool()>* cancelled) {
    if (cancelled && *cancelled && (*cancelled)()) throw Cancelled();
}

// ---- Conv2d ------------------------------------------------------------------------------------

Conv2d Conv2d::bind(ParamBinder& p, const std::string& prefix, int64_t cin, int64_t cout, int64_t k) {
    Conv2d c;
    c.cin = cin;
    c.cout = cout;
    c.k = k;
    c.weight = p.bind(prefix + ".weight", {cout, cin, k, k});
    c.bias = p.bind(prefix + ".bias", {cout});
    return c;
}

Tensor Conv2d::forward(const Tensor& x, kernels::Backend& ops) const {
    const int64_t pad = k / 2;
    return forward(x, ops, 1, pad, pad, pad, pad);
}

Tensor Conv2d::forward(const Tensor& x, kernels::Backend& ops, int64_t stride, int64_t pad_top,
                       int64_t pad_bottom, int64_t pad_left, int64_t pad_right) const {
    if (x.ndim() != 4 || x.dim(1) != cin)
        throw Error("VAE conv expects [N, " + std::to_string(cin) + ", H, W], got " + shape_str(x.shape()));
    kernels::Conv2dArgs a;
    a.x = x.ptr();
    a.w = weight.ptr();
    a.b = bias.ptr();
    a.N = x.dim(0);
    a.Cin = cin;
    a.H = x.dim(2);
    a.W = x.dim(3);
    a.Cout = cout;
    a.KH = a.KW = k;
    a.stride = stride;
    a.pad_top = pad_top;
    a.pad_bottom = pad_bottom;
    a.pad_left = pad_left;
    a.pad_right = pad_right;
    Tensor y = Tensor::on(ops, {a.N, cout, a.out_h(), a.out_w()});
    a.y = y.ptr();
    ops.conv2d(a);
    return y;
}

// ---- GroupNorm ---------------------------------------------------------------------------------

GroupNorm GroupNorm::bind(ParamBinder& p, const std::string& prefix, int64_t channels, int64_t groups) {
    GroupNorm g;
    g.channels = channels;
    g.groups = groups;
    g.weight = p.bind(prefix + ".weight", {channels});
    g.bias = p.bind(prefix + ".bias", {channels});
    return g;
}

Tensor GroupNorm::forward(const Tensor& x, kernels::Backend& ops, bool silu) const {
    Tensor y = Tensor::on(ops, x.shape());
    ops.group_norm(x.ptr(), y.ptr(), x.dim(0), channels, x.dim(2) * x.dim(3), groups, kNormEps, weight.ptr(),
                   bias.ptr());
    if (silu) ops.silu(y.ptr(), y.numel());
    return y;
}

// ---- ResnetBlock2D -----------------------------------------------------------------------------

ResnetBlock2D ResnetBlock2D::bind(ParamBinder& p, const std::string& prefix, int64_t cin,
                                  int64_t cout, int64_t groups) {
    ResnetBlock2D r;
    r.norm1 = GroupNorm::bind(p, prefix + ".norm1", cin, groups);
    r.conv1 = Conv2d::bind(p, prefix + ".conv1", cin, cout, 3);
    r.norm2 = GroupNorm::bind(p, prefix + ".norm2", cout, groups);
    r.conv2 = Conv2d::bind(p, prefix + ".conv2", cout, cout, 3);
    if (cin != cout) r.conv_shortcut = Conv2d::bind(p, prefix + ".conv_shortcut", cin, cout, 1);
    return r;
}

Tensor ResnetBlock2D::forward(const Tensor& x, kernels::Backend& ops) const {
    // x: [N, cin, H, W]
    Tensor h = conv1.forward(norm1.forward(x, ops, true), ops);  // [N, cout, H, W]
    h = conv2.forward(norm2.forward(h, ops, true), ops);
    // The sum is commutative, so adding the skip into h saves a copy of x at full resolution.
    if (conv_shortcut)
        add_into(h, conv_shortcut->forward(x, ops), ops);
    else
        add_into(h, x, ops);
    return h;
}

// ---- MidAttention ------------------------------------------------------------------------------

MidAttention MidAttention::bind(ParamBinder& p, const WeightStore& store, const std::string& prefix,
                                int64_t channels, int64_t groups) {
    MidAttention a;
    a.channels = channels;
    a.group_norm = GroupNorm::bind(p, prefix + ".group_norm", channels, groups);
    const bool legacy = store.contains(prefix + ".query.weight") && !store.contains(prefix + ".to_q.weight");
    const char* names[4] = {"to_q", "to_k", "to_v", "to_out.0"};
    const char* legacy_names[4] = {"query", "key", "value", "proj_attn"};
    const int64_t C = channels;
    Tensor w[4], b[4];
    for (int i = 0; i < 4; ++i) {
        const std::string base = prefix + "." + (legacy ? legacy_names[i] : names[i]);
        const std::string wkey = base + ".weight";
        // Old checkpoints keep these projections as 1x1 convs; the numbers are the same.
        const bool conv_shaped = store.contains(wkey) && store.info(wkey).shape.size() == 4;
        w[i] = p.bind_host(wkey, conv_shaped ? Shape{C, C, 1, 1} : Shape{C, C});
        b[i] = p.bind_host(base + ".bias", {C});
    }
    bool complete = true;
    for (int i = 0; i < 4; ++i) complete = complete && !w[i].empty() && !b[i].empty();
    if (!complete) return a;  // the binder reports what is missing
    a.qkv_weight = Tensor({3 * C, C});
    a.qkv_bias = Tensor({3 * C});
    for (int i = 0; i < 3; ++i) {
        std::memcpy(a.qkv_weight.data() + i * C * C, w[i].data(), sizeof(float) * C * C);
        std::memcpy(a.qkv_bias.data() + i * C, b[i].data(), sizeof(float) * C);
    }
    kernels::Backend& ops = p.backend();
    a.qkv_weight = a.qkv_weight.to(ops);
    a.qkv_bias = a.qkv_bias.to(ops);
    a.out_weight = w[3].reshape({C, C}).to(ops);
    a.out_bias = b[3].to(ops);
    return a;
}

Tensor MidAttention::forward(const Tensor& x, kernels::Backend& ops) const {
    // x: [N, C, H, W]
    const int64_t N = x.dim(0), C = channels, L = x.dim(2) * x.dim(3);
    const Tensor tokens = transpose12(group_norm.forward(x, ops, false), N, C, L, ops);  // [N, L, C]
    Tensor qkv = Tensor::on(ops, {N, L, 3 * C});
    ops.linear(tokens.ptr(), qkv_weight.ptr(), qkv_bias.ptr(), qkv.ptr(), N * L, 3 * C, C);
    Tensor attended = Tensor::on(ops, {N, L, C});
    kernels::AttentionArgs a;
    a.q = qkv.ptr();
    a.k = qkv.ptr() + C;
    a.v = qkv.ptr() + 2 * C;
    a.out = attended.ptr();
    a.B = N;
    a.Lq = a.Lk = L;
    a.H = 1;
    a.D = C;
    a.ldq = a.ldk = a.ldv = 3 * C;
    a.ldo = C;
    a.scale = 1.0f / std::sqrt(static_cast<float>(C));
    ops.attention(a);
    Tensor projected = Tensor::on(ops, {N, L, C});
    ops.linear(attended.ptr(), out_weight.ptr(), out_bias.ptr(), projected.ptr(), N * L, C, C);
    Tensor out = transpose12(projected, N, L, C, ops).reshape(x.shape());  // [N, C, H, W]
    add_into(out, x, ops);
    return out;
}

// ---- Downsample2D / Upsample2D -----------------------------------------------------------------

Downsample2D Downsample2D::bind(ParamBinder& p, const std::string& prefix, int64_t channels) {
    return Downsample2D{Conv2d::bind(p, prefix + ".conv", channels, channels, 3)};
}

Tensor Downsample2D::forward(const Tensor& x, kernels::Backend& ops) const {
    return conv.forward(x, ops, 2, 0, 1, 0, 1);
}

Upsample2D Upsample2D::bind(ParamBinder& p, const std::string& prefix, int64_t channels) {
    return Upsample2D{Conv2d::bind(p, prefix + ".conv", channels, channels, 3)};
}

Tensor Upsample2D::forward(const Tensor& x, kernels::Backend& ops) const {
    const int64_t N = x.dim(0), C = x.dim(1), H = x.dim(2), W = x.dim(3);
    Tensor up = Tensor::on(ops, {N, C, 2 * H, 2 * W});
    ops.upsample_nearest2x(x.ptr(), up.ptr(), N, C, H, W);
    return conv.forward(up, ops);
}

// ---- UNetMidBlock2D ----------------------------------------------------------------------------

UNetMidBlock2D UNetMidBlock2D::bind(ParamBinder& p, const WeightStore& store, const std::string& prefix,
                                    int64_t channels, int64_t groups, bool add_attention) {
    UNetMidBlock2D m;
    m.resnets.push_back(ResnetBlock2D::bind(p, prefix + ".resnets.0", channels, channels, groups));
    if (add_attention)
        m.attention = MidAttention::bind(p, store, prefix + ".attentions.0", channels, groups);
    m.resnets.push_back(ResnetBlock2D::bind(p, prefix + ".resnets.1", channels, channels, groups));
    return m;
}

Tensor UNetMidBlock2D::forward(const Tensor& x, kernels::Backend& ops,
                               const std::function<bool()>* cancelled) const {
    // x: [N, C, H, W]
    Tensor h = resnets[0].forward(x, ops);
    poll(cancelled);
    if (attention) {
        h = attention->forward(h, ops);
        poll(cancelled);
    }
    return resnets[1].forward(h, ops);
}

}  // namespace dit::vae
