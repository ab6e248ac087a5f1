#include "engine/models/autoencoder_kl/autoencoder_kl.h"

#include <cstring>

#include "engine/error.h"
#include "engine/io/config.h"
#include "engine/io/weights.h"

namespace dit {
namespace {

std::string where(const Config& c, const std::string& field) {
    return c.file().string() + ": " + field;
}

}  // namespace

AutoencoderKLConfig AutoencoderKLConfig::from(const Config& c) {
    AutoencoderKLConfig k;
    k.in_channels = static_cast<int>(c.get_int("in_channels", 3));
    k.out_channels = static_cast<int>(c.get_int("out_channels", 3));
    k.latent_channels = static_cast<int>(c.get_int("latent_channels", 4));
    if (c.has("block_out_channels")) {
        k.block_out_channels.clear();
        for (int64_t v : c.get_ints("block_out_channels")) k.block_out_channels.push_back(static_cast<int>(v));
    }
    k.layers_per_block = static_cast<int>(c.get_int("layers_per_block", 1));
    k.norm_num_groups = static_cast<int>(c.get_int("norm_num_groups", 32));
    k.scaling_factor = static_cast<float>(c.get_float("scaling_factor", 0.18215));
    k.shift_factor = c.has("shift_factor") ? static_cast<float>(c.get_float("shift_factor")) : 0.0f;
    k.use_quant_conv = c.get_bool("use_quant_conv", true);
    k.use_post_quant_conv = c.get_bool("use_post_quant_conv", true);
    k.mid_block_add_attention = c.get_bool("mid_block_add_attention", true);

    const std::string act = c.get_string("act_fn", "silu");
    if (act != "silu" && act != "swish")
        throw Error(where(c, "act_fn") + " is \"" + act + "\"; only \"silu\" is supported");
    if (k.in_channels < 1 || k.out_channels < 1 || k.latent_channels < 1)
        throw Error(where(c, "in_channels/out_channels/latent_channels") + " must be positive");
    const int blocks = static_cast<int>(k.block_out_channels.size());
    if (blocks < 1 || blocks > 8)
        throw Error(where(c, "block_out_channels") + " must list 1 to 8 channel counts");
    if (k.layers_per_block < 1 || k.layers_per_block > 16)
        throw Error(where(c, "layers_per_block") + " must be between 1 and 16");
    if (k.norm_num_groups < 1)
        throw Error(where(c, "norm_num_groups") + " must be positive");
    for (int ch : k.block_out_channels)
        if (ch < 1 || ch % k.norm_num_groups)
            throw Error(where(c, "block_out_channels") + ": " + std::to_string(ch) +
                        " is not a positive multiple of norm_num_groups " + std::to_string(k.norm_num_groups));
    if (!(k.scaling_factor > 0.0f))
        throw Error(where(c, "scaling_factor") + " must be > 0");
    // Only the plain KL blocks are implemented; anything else would load but compute nonsense.
    auto check_types = [&](const char* field, const char* expected) {
        if (!c.has(field)) return;
        const auto types = c.get_strings(field);
        if (static_cast<int>(types.size()) != blocks)
            throw Error(where(c, field) + " lists " + std::to_string(types.size()) +
                        " blocks but block_out_channels lists " + std::to_string(blocks));
        for (const auto& t : types)
            if (t != expected)
                throw Error(where(c, field) + ": \"" + t + "\" is not supported (only " + expected + ")");
    };
    check_types("down_block_types", "DownEncoderBlock2D");
    check_types("up_block_types", "UpDecoderBlock2D");
    return k;
}

std::unique_ptr<AutoencoderKL> AutoencoderKL::load(const std::filesystem::path& component_dir,
                                                   kernels::Backend& ops) {
    auto m = std::unique_ptr<AutoencoderKL>(new AutoencoderKL());
    m->cfg_ = AutoencoderKLConfig::from(Config::read(component_dir / "config.json"));
    const auto& k = m->cfg_;
    const WeightStore store = WeightStore::open(component_dir);
    ParamBinder p(store, "vae", ops);
    const int64_t G = k.norm_num_groups, L = k.latent_channels;
    const auto& ch = k.block_out_channels;
    const int blocks = static_cast<int>(ch.size());

    // encoder: conv_in -> down blocks (downsampling after all but the last) -> mid -> out
    m->enc_conv_in_ = vae::Conv2d::bind(p, "encoder.conv_in", k.in_channels, ch[0], 3);
    int64_t prev = ch[0];
    for (int i = 0; i < blocks; ++i) {
        const std::string pre = "encoder.down_blocks." + std::to_string(i);
        DownBlock b;
        for (int j = 0; j < k.layers_per_block; ++j) {
            b.resnets.push_back(vae::ResnetBlock2D::bind(p, pre + ".resnets." + std::to_string(j),
                                                         j == 0 ? prev : ch[i], ch[i], G));
        }
        if (i + 1 < blocks) b.downsampler = vae::Downsample2D::bind(p, pre + ".downsamplers.0", ch[i]);
        m->down_blocks_.push_back(std::move(b));
        prev = ch[i];
    }
    m->enc_mid_ = vae::UNetMidBlock2D::bind(p, store, "encoder.mid_block", ch.back(), G,
                                            k.mid_block_add_attention);
    m->enc_norm_out_ = vae::GroupNorm::bind(p, "encoder.conv_norm_out", ch.back(), G);
    m->enc_conv_out_ = vae::Conv2d::bind(p, "encoder.conv_out", ch.back(), 2 * L, 3);
    if (k.use_quant_conv) m->quant_conv_ = vae::Conv2d::bind(p, "quant_conv", 2 * L, 2 * L, 1);

    // decoder: post_quant_conv -> conv_in -> mid -> up blocks (reversed channels, upsampling
    // after all but the last, layers_per_block + 1 resnets each) -> out
    if (k.use_post_quant_conv) m->post_quant_conv_ = vae::Conv2d::bind(p, "post_quant_conv", L, L, 1);
    m->dec_conv_in_ = vae::Conv2d::bind(p, "decoder.conv_in", L, ch.back(), 3);
    m->dec_mid_ = vae::UNetMidBlock2D::bind(p, store, "decoder.mid_block", ch.back(), G,
                                            k.mid_block_add_attention);
    prev = ch.back();
    for (int i = 0; i < blocks; ++i) {
        const int64_t out = ch[blocks - 1 - i];
        const std::string pre = "decoder.up_blocks." + std::to_string(i);
        UpBlock b;
        for (int j = 0; j < k.layers_per_block + 1; ++j) {
            b.resnets.push_back(vae::ResnetBlock2D::bind(p, pre + ".resnets." + std::to_string(j),
                                                         j == 0 ? prev : out, out, G));
        }
        if (i + 1 < blocks) b.upsampler = vae::Upsample2D::bind(p, pre + ".upsamplers.0", out);
        m->up_blocks_.push_back(std::move(b));
        prev = out;
    }
    m->dec_norm_out_ = vae::GroupNorm::bind(p, "decoder.conv_norm_out", ch[0], G);
    m->dec_conv_out_ = vae::Conv2d::bind(p, "decoder.conv_out", ch[0], k.out_channels, 3);
    p.finish();
    return m;
}

Tensor AutoencoderKL::encode(const Tensor& image, kernels::Backend& ops,
                             const std::function<bool()>* cancelled) const {
    const int f = cfg_.downscale();
    if (image.ndim() != 4 || image.dim(1) != cfg_.in_channels || image.dim(2) % f || image.dim(3) % f ||
        image.dim(2) == 0 || image.dim(3) == 0)
        throw Error("VAE encode: image must be [N, " + std::to_string(cfg_.in_channels) +
                    ", H, W] with H and W positive multiples of " + std::to_string(f) + ", got " +
                    shape_str(image.shape()));
    // image: [N, in, H, W]
    Tensor h = enc_conv_in_.forward(image.to(ops), ops);  // [N, ch0, H, W]
    for (const auto& b : down_blocks_) {
        for (const auto& r : b.resnets) {
            h = r.forward(h, ops);
            vae::poll(cancelled);
        }
        if (b.downsampler) h = b.downsampler->forward(h, ops);  // halves H and W
    }
    h = enc_mid_.forward(h, ops, cancelled);                            // [N, chL, H/f, W/f]
    h = enc_conv_out_.forward(enc_norm_out_.forward(h, ops, true), ops);  // [N, 2L, H/f, W/f]
    if (quant_conv_) h = quant_conv_->forward(h, ops);

    // The posterior mean is the first half of the moments' channels (the rest is log-variance),
    // scaled on the host: a latent is small, and this keeps diffusers' exact arithmetic.
    const int64_t N = h.dim(0), L = cfg_.latent_channels, hw = h.dim(2) * h.dim(3);
    Tensor mean = Tensor::on(ops, {N, L, h.dim(2), h.dim(3)});
    for (int64_t n = 0; n < N; ++n)
        ops.copy(mean.ptr() + n * L * hw, h.ptr() + n * 2 * L * hw, sizeof(float) * size_t(L * hw));
    Tensor z = mean.to_host();
    for (int64_t i = 0; i < z.numel(); ++i) z[i] = (z[i] - cfg_.shift_factor) * cfg_.scaling_factor;
    return z;
}

Tensor AutoencoderKL::decode(const Tensor& latent, kernels::Backend& ops,
                             const std::function<bool()>* cancelled) const {
    if (latent.ndim() != 4 || latent.dim(1) != cfg_.latent_channels || latent.dim(2) == 0 ||
        latent.dim(3) == 0)
        throw Error("VAE decode: latent must be [N, " + std::to_string(cfg_.latent_channels) +
                    ", h, w], got " + shape_str(latent.shape()));
    // latent: [N, L, h, w]
    const Tensor host = latent.to_host();
    Tensor z(latent.shape());
    for (int64_t i = 0; i < z.numel(); ++i) z[i] = host[i] / cfg_.scaling_factor + cfg_.shift_factor;
    z = z.to(ops);
    if (post_quant_conv_) z = post_quant_conv_->forward(z, ops);
    Tensor h = dec_conv_in_.forward(z, ops);  // [N, chL, h, w]
    z = Tensor();
    h = dec_mid_.forward(h, ops, cancelled);
    for (const auto& b : up_blocks_) {
        for (const auto& r : b.resnets) {
            h = r.forward(h, ops);
            vae::poll(cancelled);
        }
        if (b.upsampler) h = b.upsampler->forward(h, ops);  // doubles H and W
    }
    return dec_conv_out_.forward(dec_norm_out_.forward(h, ops, true), ops).to_host();  // [N, out, f*h, f*w]
}

}  // namespace dit
