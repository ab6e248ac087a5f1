#include "engine/models/pixart/pixart_embeddings.h"

#include <cmath>
#include <cstring>

#include "engine/error.h"

namespace dit::pixart {

Linear Linear::bind(ParamBinder& p, const std::string& prefix, int64_t in, int64_t out, bool bias) {
    Linear l;
    l.in = in;
    l.out = out;
    l.weight = p.bind_stored(prefix + ".weight", {out, in});  // stays in the mapping, any dtype
    if (bias) l.bias = p.bind(prefix + ".bias", {out});
    return l;
}

void Linear::forward(const float* x, float* y, int64_t M, kernels::Backend& ops) const {
    ops.linear(x, weight.weight_ref(), bias.empty() ? nullptr : bias.ptr(), y, M, out, in);
}

void Linear::forward_gelu(const float* x, float* y, int64_t M, kernels::Backend& ops) const {
    ops.linear_gelu(x, weight.weight_ref(), bias.empty() ? nullptr : bias.ptr(), y, M, out, in);
}

Tensor Linear::forward(const Tensor& x, int64_t M, kernels::Backend& ops) const {
    Tensor y = Tensor::on(ops, {M, out});
    forward(x.ptr(), y.ptr(), M, ops);
    return y;
}

Tensor timestep_sinusoid(const std::vector<float>& values, int64_t dim) {
    // values: N -> [N, dim]
    const int64_t half = dim / 2;
    const int64_t n = static_cast<int64_t>(values.size());
    Tensor out({n, dim});
    // diffusers: exp(-ln(10000) * i / half) in f32, then t * freq in f32.
    const float log_period = static_cast<float>(std::log(10000.0));
    std::vector<float> freqs(half);
    for (int64_t i = 0; i < half; ++i) {
        const float e = (-log_period * static_cast<float>(i)) / static_cast<float>(half);
        freqs[i] = static_cast<float>(std::exp(static_cast<double>(e)));
    }
    for (int64_t b = 0; b < n; ++b) {
        float* row = out.data() + b * dim;
        for (int64_t i = 0; i < half; ++i) {
            const double arg = static_cast<double>(values[b] * freqs[i]);  // f32 product
            row[i] = static_cast<float>(std::cos(arg));  // flip_sin_to_cos: cos first
            row[half + i] = static_cast<float>(std::sin(arg));
        }
        // odd dims are zero-padded at the end (Tensor starts zeroed)
    }
    return out;
}

Tensor sincos_pos_embed_2d(int64_t dim, int64_t grid_h, int64_t grid_w, int64_t base_size,
                           float interpolation_scale) {
    // -> [grid_h * grid_w, dim]
    if (dim % 4 != 0)
        throw Error("PixArt position embedding: hidden size " + std::to_string(dim) +
                    " is not a multiple of 4");
    const int64_t quarter = dim / 4;
    std::vector<double> omega(quarter);
    for (int64_t i = 0; i < quarter; ++i)
        omega[i] = 1.0 / std::pow(10000.0, static_cast<double>(i) / (static_cast<double>(dim) / 4.0));
    // Coordinates as diffusers rounds them: f32 arange / f32(grid / base) / f32(scale).
    auto coords = [&](int64_t grid) {
        const float step = static_cast<float>(static_cast<double>(grid) / static_cast<double>(base_size));
        std::vector<float> c(grid);
        for (int64_t i = 0; i < grid; ++i) c[i] = static_cast<float>(i) / step / interpolation_scale;
        return c;
    };
    const std::vector<float> ys = coords(grid_h), xs = coords(grid_w);
    // One axis: [sin(pos * omega) | cos(pos * omega)], dim/2 values.
    auto axis = [&](float pos, float* dst) {
        for (int64_t i = 0; i < quarter; ++i) {
            const double a = static_cast<double>(pos) * omega[i];
            dst[i] = static_cast<float>(std::sin(a));
            dst[quarter + i] = static_cast<float>(std::cos(a));
        }
    };
    Tensor out({grid_h * grid_w, dim});
    for (int64_t h = 0; h < grid_h; ++h) {
        for (int64_t w = 0; w < grid_w; ++w) {
            float* row = out.data() + (h * grid_w + w) * dim;
            axis(xs[w], row);
            axis(ys[h], row + dim / 2);
        }
    }
    return out;
}

PatchEmbed PatchEmbed::bind(ParamBinder& p, int64_t in_channels, int64_t dim, int64_t patch,
                            int64_t base_size, float interpolation_scale, const std::string& prefix,
                            bool with_positions) {
    PatchEmbed e;
    e.in_channels = in_channels;
    e.dim = dim;
    e.patch = patch;
    e.base_size = base_size;
    e.interpolation_scale = interpolation_scale;
    e.with_positions = with_positions;
    const Tensor w = p.bind(prefix + ".proj.weight", {dim, in_channels, patch, patch});
    if (!w.empty()) e.weight = w.reshape({dim, in_channels * patch * patch});
    e.bias = p.bind(prefix + ".proj.bias", {dim});
    e.positions_ = std::make_shared<PositionCache>();
    return e;
}

struct PatchEmbed::PositionCache {
    std::mutex mutex;
    int64_t grid_h = 0, grid_w = 0;
    const kernels::Backend* ops = nullptr;
    Tensor table;  // [grid_h * grid_w, D]
};

Tensor PatchEmbed::position_table(int64_t grid_h, int64_t grid_w, kernels::Backend& ops) const {
    std::lock_guard lock(positions_->mutex);
    PositionCache& c = *positions_;
    if (c.table.empty() || c.grid_h != grid_h || c.grid_w != grid_w || c.ops != &ops) {
        c.table = sincos_pos_embed_2d(dim, grid_h, grid_w, base_size, interpolation_scale).to(ops);
        c.grid_h = grid_h, c.grid_w = grid_w, c.ops = &ops;
    }
    return c.table;
}

Tensor PatchEmbed::forward(const Tensor& latent_in, kernels::Backend& ops) const {
    // latent: [B, Cin, H, W]
    const Tensor latent = latent_in.to(ops);
    const int64_t B = latent.dim(0), H = latent.dim(2), W = latent.dim(3);
    const int64_t gh = H / patch, gw = W / patch, N = gh * gw, K = in_channels * patch * patch;
    // Row (b, y, x) holds latent[b, c, y*p + ky, x*p + kx] in (c, ky, kx) order, the conv
    // weight's order, so the conv is one GEMM.
    Tensor patches = Tensor::on(ops, {B * N, K});
    ops.patchify(latent.ptr(), patches.ptr(), B, in_channels, H, W, patch);
    Tensor tokens = Tensor::on(ops, {B, N, dim});
    ops.linear(patches.ptr(), weight.ptr(), bias.ptr(), tokens.ptr(), B * N, dim, K);
    if (!with_positions) return tokens;  // [B, N, D]
    const Tensor pos = position_table(gh, gw, ops);  // [N, D]
    // The position table is shared by the batch: a gate-free residual add per item.
    for (int64_t b = 0; b < B; ++b) ops.add_gated(tokens.ptr() + b * N * dim, pos.ptr(), nullptr, 1, N, dim);
    return tokens;  // [B, N, D]
}

TimestepEmbedding TimestepEmbedding::bind(ParamBinder& p, const std::string& prefix, int64_t in, int64_t dim) {
    return {Linear::bind(p, prefix + ".linear_1", in, dim), Linear::bind(p, prefix + ".linear_2", dim, dim)};
}

Tensor TimestepEmbedding::forward(const Tensor& x, kernels::Backend& ops) const {
    // x: [N, in]
    const int64_t n = x.dim(0);
    Tensor h = linear_1.forward(x.to(ops), n, ops);  // [N, dim]
    ops.silu(h.ptr(), h.numel());
    return linear_2.forward(h, n, ops);  // [N, dim]
}

AdaLayerNormSingle AdaLayerNormSingle::bind(ParamBinder& p, int64_t dim, bool micro_conditioning,
                                             const std::string& prefix) {
    AdaLayerNormSingle a;
    a.dim = dim;
    a.timestep_embedder = TimestepEmbedding::bind(p, prefix + ".emb.timestep_embedder", 256, dim);
    if (micro_conditioning) {
        a.resolution_embedder = TimestepEmbedding::bind(p, prefix + ".emb.resolution_embedder", 256, dim / 3);
        a.aspect_ratio_embedder = TimestepEmbedding::bind(p, prefix + ".emb.aspect_ratio_embedder", 256, dim / 3);
    }
    a.linear = Linear::bind(p, prefix + ".linear", dim, 6 * dim);
    return a;
}

AdaLayerNormSingle::Output AdaLayerNormSingle::forward(const std::vector<float>& timestep, int image_height,
                                                       int image_width, kernels::Backend& ops) const {
    const int64_t B = static_cast<int64_t>(timestep.size());
    Output o;
    o.embedded = timestep_embedder.forward(timestep_sinusoid(timestep), ops);  // [B, D]
    if (resolution_embedder) {
        // resolution [B, 2] = (height, width) flattened: each value embedded on its own, so item
        // b gets [emb(height) | emb(width) | emb(height / width)], D/3 channels each.
        const int64_t s = dim / 3;
        std::vector<float> res, ar;
        const float aspect = static_cast<float>(static_cast<double>(image_height) / image_width);
        for (int64_t b = 0; b < B; ++b) {
            res.push_back(static_cast<float>(image_height));
            res.push_back(static_cast<float>(image_width));
            ar.push_back(aspect);
        }
        const Tensor r = resolution_embedder->forward(timestep_sinusoid(res), ops);    // [2B, D/3]
        const Tensor a = aspect_ratio_embedder->forward(timestep_sinusoid(ar), ops);  // [B, D/3]
        for (int64_t b = 0; b < B; ++b) {
            float* e = o.embedded.ptr() + b * dim;
            ops.add_gated(e, r.ptr() + b * 2 * s, nullptr, 1, 1, 2 * s);
            ops.add_gated(e + 2 * s, a.ptr() + b * s, nullptr, 1, 1, s);
        }
    }
    Tensor act = o.embedded.clone();
    ops.silu(act.ptr(), act.numel());
    o.modulation = linear.forward(act, B, ops);  // [B, 6D]
    return o;
}

TextProjection TextProjection::bind(ParamBinder& p, int64_t caption_channels, int64_t dim) {
    return {Linear::bind(p, "caption_projection.linear_1", caption_channels, dim),
            Linear::bind(p, "caption_projection.linear_2", dim, dim)};
}

Tensor TextProjection::forward(const Tensor& x, int64_t M, kernels::Backend& ops) const {
    // x: [M, caption_channels]
    const Tensor xs = x.to(ops);
    Tensor h = Tensor::on(ops, {M, linear_1.out});  // [M, D]
    linear_1.forward_gelu(xs.ptr(), h.ptr(), M, ops);
    return linear_2.forward(h, M, ops);  // [M, D]
}

}  // namespace dit::pixart
