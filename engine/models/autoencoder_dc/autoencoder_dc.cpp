#include "engine/models/autoencoder_dc/autoencoder_dc.h"

#include <algorithm>
#include <cstring>

#include "engine/error.h"
#include "engine/io/config.h"
#include "engine/io/weights.h"
#include "engine/models/config_fields.h"

namespace dit {
namespace {

using nlohmann::json;

// A field diffusers accepts as one string for every stage or as a list with one per stage.
std::vector<std::string> per_stage_strings(const Config& c, const std::string& field, const std::string& fallback,
                                           size_t stages) {
    if (!c.has(field)) return std::vector<std::string>(stages, fallback);
    const json& v = c.json().at(field);
    if (v.is_string()) return std::vector<std::string>(stages, v.get<std::string>());
    std::vector<std::string> out = c.get_strings(field);
    if (out.size() != stages)
        throw Error(config_where(c, field) + " lists " + std::to_string(out.size()) + " entries for " + std::to_string(stages) +
                    " stages (block_out_channels has one per stage)");
    return out;
}

std::vector<int64_t> ints_or(const Config& c, const std::string& field, std::vector<int64_t> fallback) {
    return c.has(field) ? c.get_ints(field) : fallback;
}

std::vector<std::vector<int64_t>> multiscales(const Config& c, const std::string& field, size_t stages) {
    if (!c.has(field)) {
        std::vector<std::vector<int64_t>> d(stages);
        for (size_t i = 3; i < stages; ++i) d[i] = {5};
        return d;
    }
    const json& v = c.json().at(field);
    if (!v.is_array() || v.size() != stages)
        throw Error(config_where(c, field) + " must be a list of " + std::to_string(stages) +
                    " lists of kernel sizes, one per stage");
    std::vector<std::vector<int64_t>> out;
    for (size_t i = 0; i < v.size(); ++i) {
        if (!v[i].is_array()) throw Error(config_where(c, field) + "[" + std::to_string(i) + "] must be a list of kernel sizes");
        std::vector<int64_t> ks;
        for (const json& k : v[i]) {
            if (!k.is_number_integer() || k.get<int64_t>() < 1 || k.get<int64_t>() > 15 || k.get<int64_t>() % 2 == 0)
                throw Error(config_where(c, field) + "[" + std::to_string(i) + "] holds " + k.dump() +
                            "; kernel sizes must be odd integers from 1 to 15");
            ks.push_back(k.get<int64_t>());
        }
        out.push_back(ks);
    }
    return out;
}

void check_stages(const Config& c, const std::string& side, const std::vector<int64_t>& channels,
                  const std::vector<int64_t>& layers, const std::vector<std::string>& types, int head_dim) {
    const std::string ch = side + "_block_out_channels", ly = side + "_layers_per_block";
    if (channels.empty() || channels.size() > 10)
        throw Error(config_where(c, ch) + " must list 1 to 10 stages, got " + std::to_string(channels.size()));
    if (layers.size() != channels.size())
        throw Error(config_where(c, ly) + " lists " + std::to_string(layers.size()) + " stages but " + ch + " lists " +
                    std::to_string(channels.size()));
    for (size_t i = 0; i < channels.size(); ++i) {
        if (channels[i] < 1 || channels[i] > (1 << 14))
            throw Error(config_where(c, ch) + "[" + std::to_string(i) + "] is " + std::to_string(channels[i]) +
                        "; it must be between 1 and 16384");
        if (layers[i] < 0 || layers[i] > 64)
            throw Error(config_where(c, ly) + "[" + std::to_string(i) + "] is " + std::to_string(layers[i]) +
                        "; it must be between 0 and 64");
        if (types[i] == "EfficientViTBlock" && channels[i] % head_dim != 0)
            throw Error(config_where(c, ch) + "[" + std::to_string(i) + "] = " + std::to_string(channels[i]) +
                        " is not a multiple of attention_head_dim " + std::to_string(head_dim) +
                        " (an EfficientViTBlock splits its channels into heads)");
        if (types[i] != "ResBlock" && types[i] != "EfficientViTBlock")
            throw Error(config_where(c, side + "_block_types") + "[" + std::to_string(i) + "] is \"" + types[i] +
                        "\"; supported: ResBlock, EfficientViTBlock");
    }
    if (layers[0] < 1)
        throw Error(config_where(c, ly) + "[0] is 0; a first stage without layers (DCDownBlock2d / DCUpBlock2d as the "
                                   "outer convolutions) is not supported");
    // The shortcuts average or repeat whole channel groups.
    for (size_t i = 0; i + 1 < channels.size(); ++i)
        if (layers[i] > 0 && (channels[i] * 4) % channels[i + 1] != 0)
            throw Error(config_where(c, ch) + ": stage " + std::to_string(i) + " (" + std::to_string(channels[i]) +
                        " channels) cannot shortcut to stage " + std::to_string(i + 1) + " (" +
                        std::to_string(channels[i + 1]) + "): 4 x " + std::to_string(channels[i]) +
                        " must be a multiple of " + std::to_string(channels[i + 1]));
}

}  // namespace

AutoencoderDCConfig AutoencoderDCConfig::from(const Config& c) {
    AutoencoderDCConfig k;
    auto positive = [&](const char* field, int64_t v, int64_t limit) { return config_in_range(c, field, v, limit); };
    k.in_channels = positive("in_channels", c.get_int("in_channels", 3), 64);
    k.latent_channels = positive("latent_channels", c.get_int("latent_channels", 32), 4096);
    k.attention_head_dim = positive("attention_head_dim", c.get_int("attention_head_dim", 32), 1024);
    const std::vector<int64_t> dflt_channels{128, 256, 512, 512, 1024, 1024};
    k.encoder_block_out_channels = ints_or(c, "encoder_block_out_channels", dflt_channels);
    k.decoder_block_out_channels = ints_or(c, "decoder_block_out_channels", dflt_channels);
    const size_t stages = k.encoder_block_out_channels.size();
    if (k.decoder_block_out_channels.size() != stages)
        throw Error(config_where(c, "decoder_block_out_channels") + " lists " +
                    std::to_string(k.decoder_block_out_channels.size()) + " stages but encoder_block_out_channels lists " +
                    std::to_string(stages) + " (the two sides must mirror each other)");
    k.encoder_layers_per_block = ints_or(c, "encoder_layers_per_block", {2, 2, 2, 3, 3, 3});
    k.decoder_layers_per_block = ints_or(c, "decoder_layers_per_block", {3, 3, 3, 3, 3, 3});
    k.encoder_block_types = per_stage_strings(c, "encoder_block_types", "ResBlock", stages);
    k.decoder_block_types = per_stage_strings(c, "decoder_block_types", "ResBlock", stages);
    check_stages(c, "encoder", k.encoder_block_out_channels, k.encoder_layers_per_block, k.encoder_block_types,
                 k.attention_head_dim);
    check_stages(c, "decoder", k.decoder_block_out_channels, k.decoder_layers_per_block, k.decoder_block_types,
                 k.attention_head_dim);
    k.encoder_qkv_multiscales = multiscales(c, "encoder_qkv_multiscales", stages);
    k.decoder_qkv_multiscales = multiscales(c, "decoder_qkv_multiscales", stages);
    if (k.encoder_block_out_channels.back() % k.latent_channels != 0)
        throw Error(config_where(c, "latent_channels") + " = " + std::to_string(k.latent_channels) +
                    " does not divide the last encoder stage's " + std::to_string(k.encoder_block_out_channels.back()) +
                    " channels (the encoder's out shortcut averages channel groups)");
    if (k.decoder_block_out_channels.back() % k.latent_channels != 0)
        throw Error(config_where(c, "latent_channels") + " = " + std::to_string(k.latent_channels) +
                    " does not divide the last decoder stage's " + std::to_string(k.decoder_block_out_channels.back()) +
                    " channels (the decoder's in shortcut repeats channels)");

    const std::string down = c.get_string("downsample_block_type", "pixel_unshuffle");
    if (down != "pixel_unshuffle" && down != "conv" && down != "Conv")
        throw Error(config_where(c, "downsample_block_type") + " is \"" + down + "\"; supported: pixel_unshuffle, conv");
    k.downsample_pixel_unshuffle = down == "pixel_unshuffle";
    const std::string up = c.get_string("upsample_block_type", "pixel_shuffle");
    if (up != "pixel_shuffle" && up != "interpolate")
        throw Error(config_where(c, "upsample_block_type") + " is \"" + up + "\"; supported: pixel_shuffle, interpolate");
    k.upsample_interpolate = up == "interpolate";
    if (k.downsample_pixel_unshuffle)
        for (size_t i = 1; i < stages; ++i)
            if (k.encoder_block_out_channels[i] % 4 != 0)
                throw Error(config_where(c, "encoder_block_out_channels") + "[" + std::to_string(i) +
                            "] must be a multiple of 4 with downsample_block_type pixel_unshuffle");

    for (const std::string& norm : per_stage_strings(c, "decoder_norm_types", "rms_norm", stages))
        if (norm != "rms_norm")
            throw Error(config_where(c, "decoder_norm_types") + " holds \"" + norm +
                        "\"; only rms_norm is supported (the Sana autoencoders use it throughout)");
    for (const std::string& act : per_stage_strings(c, "decoder_act_fns", "silu", stages)) {
        if (act == "silu" || act == "swish") k.decoder_act_fns.push_back(dcae::Activation::Silu);
        else if (act == "relu") k.decoder_act_fns.push_back(dcae::Activation::Relu);
        else throw Error(config_where(c, "decoder_act_fns") + " holds \"" + act + "\"; supported: silu, swish, relu");
    }
    const double scale = c.get_float("scaling_factor", 1.0);
    if (!(scale > 0.0) || scale > 1e4) throw Error(config_where(c, "scaling_factor") + " must be positive");
    k.scaling_factor = static_cast<float>(scale);
    return k;
}

std::unique_ptr<AutoencoderDC> AutoencoderDC::load(const std::filesystem::path& component_dir, kernels::Backend& ops) {
    auto m = std::unique_ptr<AutoencoderDC>(new AutoencoderDC());
    m->cfg_ = AutoencoderDCConfig::from(Config::read(component_dir / "config.json"));
    const auto& k = m->cfg_;
    const WeightStore store = WeightStore::open(component_dir);
    ParamBinder p(store, "vae", ops);
    const size_t stages = k.encoder_block_out_channels.size();
    auto block = [&](const std::string& prefix, const std::string& type, int64_t ch, dcae::Activation act,
                     const std::vector<int64_t>& scales) -> dcae::StageBlock {
        if (type == "ResBlock") return dcae::ResBlock::bind(p, prefix, ch, act);
        return dcae::EfficientViTBlock::bind(p, prefix, ch, k.attention_head_dim, scales);
    };

    // encoder.*: conv_in, then per stage its blocks and (but the last) a down block
    const auto& ec = k.encoder_block_out_channels;
    m->enc_conv_in_ = dcae::Conv::bind(p, "encoder.conv_in", k.in_channels, ec[0], 3, true);
    for (size_t i = 0; i < stages; ++i) {
        EncoderStage s;
        const int64_t n = k.encoder_layers_per_block[i];
        for (int64_t j = 0; j < n; ++j)
            s.blocks.push_back(block("encoder.down_blocks." + std::to_string(i) + "." + std::to_string(j),
                                     k.encoder_block_types[i], ec[i], dcae::Activation::Silu,
                                     k.encoder_qkv_multiscales[i]));
        if (i + 1 < stages && n > 0)
            s.down.push_back(dcae::DownBlock::bind(p, "encoder.down_blocks." + std::to_string(i) + "." + std::to_string(n),
                                                   ec[i], ec[i + 1], k.downsample_pixel_unshuffle));
        m->enc_stages_.push_back(std::move(s));
    }
    m->enc_conv_out_ = dcae::Conv::bind(p, "encoder.conv_out", ec.back(), k.latent_channels, 3, true);

    // decoder.*: conv_in, per stage (but the last) an up block and then its blocks, norm_out, conv_out
    const auto& dc = k.decoder_block_out_channels;
    m->dec_conv_in_ = dcae::Conv::bind(p, "decoder.conv_in", k.latent_channels, dc.back(), 3, true);
    for (size_t i = 0; i < stages; ++i) {
        DecoderStage s;
        const int64_t n = k.decoder_layers_per_block[i];
        const std::string pre = "decoder.up_blocks." + std::to_string(i) + ".";
        int64_t j = 0;
        if (i + 1 < stages && n > 0)
            s.up.push_back(dcae::UpBlock::bind(p, pre + std::to_string(j++), dc[i + 1], dc[i], k.upsample_interpolate));
        for (int64_t l = 0; l < n; ++l, ++j)
            s.blocks.push_back(block(pre + std::to_string(j), k.decoder_block_types[i], dc[i], k.decoder_act_fns[i],
                                     k.decoder_qkv_multiscales[i]));
        m->dec_stages_.push_back(std::move(s));
    }
    m->dec_norm_out_ = dcae::ChannelRMSNorm::bind(p, "decoder.norm_out", dc[0]);
    m->dec_conv_out_ = dcae::Conv::bind(p, "decoder.conv_out", dc[0], k.in_channels, 3, true);
    p.finish();
    return m;
}

Tensor AutoencoderDC::encode_one(const Tensor& image, kernels::Backend& ops,
                                 const std::function<bool()>* cancelled) const {
    // [1, in, H, W] -> [1, latent, H/f, W/f] (unscaled)
    Tensor h = enc_conv_in_.forward(image, ops);
    for (const EncoderStage& s : enc_stages_) {
        for (const auto& b : s.blocks) {
            poll_cancelled(cancelled);
            h = dcae::forward(b, h, ops);
        }
        for (const auto& d : s.down) h = d.forward(h, ops);
    }
    // conv_out(h) + the mean of each run of C / latent channels
    Tensor out = enc_conv_out_.forward(h, ops);
    const int64_t C = h.dim(1), P = h.dim(2) * h.dim(3);
    Tensor shortcut = Tensor::on(ops, out.shape());
    ops.channel_mean(h.ptr(), shortcut.ptr(), 1, cfg_.latent_channels, C / cfg_.latent_channels, P);
    dcae::add_into(out, shortcut, ops);
    return out;
}

Tensor AutoencoderDC::decode_one(const Tensor& latent, kernels::Backend& ops,
                                 const std::function<bool()>* cancelled) const {
    // [1, latent, h, w] (unscaled) -> [1, in, f*h, f*w], returned in host memory
    Tensor h = dec_conv_in_.forward(latent, ops);
    const int64_t C = h.dim(1), P = h.dim(2) * h.dim(3);
    Tensor repeated = Tensor::on(ops, h.shape());
    ops.channel_repeat(latent.ptr(), repeated.ptr(), 1, cfg_.latent_channels, C / cfg_.latent_channels, P);
    dcae::add_into(h, repeated, ops);
    for (auto s = dec_stages_.rbegin(); s != dec_stages_.rend(); ++s) {
        for (const auto& u : s->up) h = u.forward(h, ops);
        for (const auto& b : s->blocks) {
            poll_cancelled(cancelled);
            h = dcae::forward(b, h, ops);
        }
    }
    dec_norm_out_.forward_inplace(h, ops);
    ops.relu(h.ptr(), h.numel());
    return dec_conv_out_.forward(h, ops).to_host();
}

Tensor AutoencoderDC::encode(const Tensor& image, kernels::Backend& ops, const std::function<bool()>* cancelled) const {
    // image [N, in, H, W] -> [N, latent, H/f, W/f] * scaling_factor
    const int f = cfg_.downscale();
    if (image.ndim() != 4 || image.dim(1) != cfg_.in_channels || image.dim(2) % f || image.dim(3) % f ||
        image.dim(2) == 0 || image.dim(3) == 0)
        throw Error("AutoencoderDC encode expects [N, " + std::to_string(cfg_.in_channels) +
                    ", H, W] with H and W positive multiples of " + std::to_string(f) + ", got " +
                    shape_str(image.shape()));
    const Tensor host = image.to_host();
    const int64_t N = host.dim(0), h = host.dim(2) / f, w = host.dim(3) / f, per = cfg_.latent_channels * h * w;
    Tensor out({N, cfg_.latent_channels, h, w});
    for (int64_t n = 0; n < N; ++n) {
        Tensor z = encode_one(host.slice0(n, n + 1).clone().to(ops), ops, cancelled).to_host();
        for (int64_t i = 0; i < per; ++i) out.data()[n * per + i] = z.data()[i] * cfg_.scaling_factor;
    }
    return out;
}

Tensor AutoencoderDC::decode(const Tensor& latent, kernels::Backend& ops, const std::function<bool()>* cancelled) const {
    return decode_tiled(latent, ops, DCTiling{1 << 20, 1 << 20}, cancelled);
}

Tensor AutoencoderDC::decode_tiled(const Tensor& latent, kernels::Backend& ops, DCTiling tiling,
                                   const std::function<bool()>* cancelled) const {
    // latent [N, latent, h, w] -> image [N, in, f*h, f*w]
    if (latent.ndim() != 4 || latent.dim(1) != cfg_.latent_channels || latent.dim(2) < 1 || latent.dim(3) < 1)
        throw Error("AutoencoderDC decode expects [N, " + std::to_string(cfg_.latent_channels) + ", h, w], got " +
                    shape_str(latent.shape()));
    if (tiling.stride < 1 || tiling.tile < tiling.stride)
        throw Error("AutoencoderDC tiled decode: tile " + std::to_string(tiling.tile) + " and stride " +
                    std::to_string(tiling.stride) + " latent pixels; the stride must be at least 1 and at most the tile");
    const int64_t f = cfg_.downscale(), C = cfg_.in_channels;
    const int64_t N = latent.dim(0), h = latent.dim(2), w = latent.dim(3), H = h * f, W = w * f;
    Tensor z = latent.to_host().clone();
    for (int64_t i = 0; i < z.numel(); ++i) z.data()[i] /= cfg_.scaling_factor;
    Tensor out({N, C, H, W});
    // The tile of latent rows [y0, y0 + th) x columns [x0, x0 + tw) of image n, decoded.
    auto decode_tile = [&](int64_t n, int64_t y0, int64_t x0, int64_t th, int64_t tw) {
        Tensor t({1, cfg_.latent_channels, th, tw});
        for (int64_t c = 0; c < cfg_.latent_channels; ++c)
            for (int64_t y = 0; y < th; ++y)
                std::memcpy(t.data() + (c * th + y) * tw, z.data() + ((n * cfg_.latent_channels + c) * h + y0 + y) * w + x0,
                            sizeof(float) * size_t(tw));
        return decode_one(t.to(ops), ops, cancelled);
    };
    for (int64_t n = 0; n < N; ++n) {
        if (h <= tiling.tile && w <= tiling.tile) {  // one tile: untiled, as diffusers decides
            const Tensor img = decode_tile(n, 0, 0, h, w);
            std::memcpy(out.data() + n * C * H * W, img.data(), sizeof(float) * size_t(C * H * W));
            continue;
        }
        // Each tile is blended in place with its upper and left neighbours as already blended,
        // over `blend` image pixels (fewer where a neighbour is smaller), then its first
        // stride x stride image pixels are kept.
        const int64_t stride_px = tiling.stride * f, blend_px = (tiling.tile - tiling.stride) * f;
        std::vector<Tensor> above, row;
        for (int64_t y0 = 0; y0 < h; y0 += tiling.stride) {
            row.clear();
            for (int64_t x0 = 0, j = 0; x0 < w; x0 += tiling.stride, ++j) {
                Tensor t = decode_tile(n, y0, x0, std::min<int64_t>(tiling.tile, h - y0), std::min<int64_t>(tiling.tile, w - x0));
                const int64_t th = t.dim(2), tw = t.dim(3);
                if (!above.empty()) {
                    const Tensor& a = above[size_t(j)];
                    const int64_t ah = a.dim(2), e = std::min({ah, th, blend_px});
                    for (int64_t c = 0; c < C; ++c)
                        for (int64_t y = 0; y < e; ++y)
                            for (int64_t x = 0; x < tw; ++x) {
                                float& v = t.data()[(c * th + y) * tw + x];
                                const float u = a.data()[(c * ah + ah - e + y) * a.dim(3) + x];
                                v = u * (1.0f - float(y) / float(e)) + v * (float(y) / float(e));
                            }
                }
                if (j > 0) {
                    const Tensor& l = row.back();
                    const int64_t lw = l.dim(3), e = std::min({lw, tw, blend_px});
                    for (int64_t c = 0; c < C; ++c)
                        for (int64_t y = 0; y < th; ++y)
                            for (int64_t x = 0; x < e; ++x) {
                                float& v = t.data()[(c * th + y) * tw + x];
                                const float u = l.data()[(c * l.dim(2) + y) * lw + lw - e + x];
                                v = u * (1.0f - float(x) / float(e)) + v * (float(x) / float(e));
                            }
                }
                const int64_t oy = y0 * f, ox = x0 * f;
                for (int64_t c = 0; c < C; ++c)
                    for (int64_t y = 0; y < std::min(th, stride_px) && oy + y < H; ++y)
                        std::memcpy(out.data() + ((n * C + c) * H + oy + y) * W + ox,
                                    t.data() + (c * th + y) * tw, sizeof(float) * size_t(std::min({tw, stride_px, W - ox})));
                row.push_back(std::move(t));
            }
            above = row;
        }
    }
    return out;
}

}  // namespace dit
