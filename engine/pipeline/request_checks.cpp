#include "engine/pipeline/request_checks.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <string>

#include "engine/error.h"
#include "engine/io/npy.h"
#include "engine/pipeline/batch.h"
#include "engine/random.h"

namespace dit {
namespace {

void check_size(const char* what, int pixels, int multiple) {
    if (pixels <= 0 || pixels > 8192)
        throw Error(std::string(what) + " " + std::to_string(pixels) + " is out of range (1..8192)");
    if (pixels % multiple)
        throw Error(std::string(what) + " " + std::to_string(pixels) + " is not a multiple of " +
                    std::to_string(multiple) + " (the VAE's downscale times the patch size)");
}

bool blank(const std::string& s) {
    return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isspace(c); });
}

}  // namespace

void check_common_request(const Request& req, int count, int multiple) {
    if (blank(req.prompt)) throw Error("prompt is empty: describe the image to generate");
    check_size("width", req.width, multiple);
    check_size("height", req.height, multiple);
    if (req.steps < 1 || req.steps > 1000)
        throw Error("steps " + std::to_string(req.steps) + " is out of range (1..1000)");
    if (!std::isfinite(req.cfg) || req.cfg < 0) throw Error("cfg must be a finite number >= 0");
    if (req.init_image && (req.strength <= 0 || req.strength > 1)) throw Error("strength must lie in (0, 1]");
    if (count < 1 || count > kMaxBatch)
        throw Error("batch " + std::to_string(count) + " is out of range (1.." + std::to_string(kMaxBatch) + ")");
    if (count > 1 && req.noise_file) throw Error("--noise-file gives one initial latent: it takes a batch of 1");
}

Callbacks part_callbacks(const Callbacks& cb, int part, int parts) {
    Callbacks out = cb;
    out.progress = [cb, part, parts](const Progress& p) {
        if (cb.progress) cb.progress({part * p.steps + p.step, parts * p.steps, p.seconds});
    };
    out.preview = [cb, part, parts](const Image& img, const Progress& p) {
        if (cb.preview) cb.preview(img, {part * p.steps + p.step, parts * p.steps, p.seconds});
    };
    return out;
}

Tensor take_channels(const Tensor& x, int64_t b, int64_t C) {
    const int64_t hw = x.dim(2) * x.dim(3);
    Tensor out({1, C, x.dim(2), x.dim(3)});
    std::memcpy(out.data(), x.data() + b * x.dim(1) * hw, sizeof(float) * C * hw);
    return out;
}

Tensor pure_noise(const Tensor& noise, const Sampler& sampler) {
    Tensor x = noise.clone();
    const float sigma = sampler.init_noise_sigma();
    for (int64_t i = 0; i < x.numel(); ++i) x[i] *= sigma;
    return x;
}

Tensor encode_init_image(const Request& req, const std::function<Tensor(const Tensor&)>& encode) {
    const Image& init = *req.init_image;
    if (init.width != req.width || init.height != req.height)
        throw Error("init image is " + std::to_string(init.width) + "x" + std::to_string(init.height) +
                    " but the request is " + std::to_string(req.width) + "x" + std::to_string(req.height));
    return encode(tensor_from_image(init));
}

Tensor initial_noise(const Request& req, const Shape& latent_shape) {
    if (!req.noise_file) return randn(latent_shape, req.seed);
    Tensor noise = read_npy(*req.noise_file);
    if (noise.shape() != latent_shape)
        throw Error(req.noise_file->string() + ": noise has shape " + shape_str(noise.shape()) +
                    ", this request needs " + shape_str(latent_shape));
    return noise;
}

}  // namespace dit
