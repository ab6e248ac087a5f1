#include "engine/pipeline/inpaint.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "engine/error.h"

namespace dit {

void check_inpaint_request(const Request& r) {
    if (!r.mask) return;
    const Mask& m = *r.mask;
    if (!r.init_image)
        throw Error("inpainting needs an init image: the mask says which of its pixels to regenerate");
    if (m.width != r.width || m.height != r.height || m.value.size() != size_t(m.width) * size_t(m.height))
        throw Error("inpaint mask is " + std::to_string(m.width) + "x" + std::to_string(m.height) +
                    (m.value.size() != size_t(m.width) * size_t(m.height) ? " (with a wrong number of values)" : "") +
                    " but the request is " + std::to_string(r.width) + "x" + std::to_string(r.height) +
                    ": give a mask of the image's size");
    if (std::all_of(m.value.begin(), m.value.end(), [](uint8_t v) { return v == 0; }))
        throw Error("inpaint mask is empty (every pixel 0): nothing would change; paint where the image should change");
    if (r.inpaint_mode != "full" && r.inpaint_mode != "crop" && r.inpaint_mode != "lazy")
        throw Error("inpaint mode '" + r.inpaint_mode + "' is unknown; valid modes: full, crop, lazy");
    auto range = [](const char* what, int v, int lo, int hi) {
        if (v < lo || v > hi)
            throw Error(std::string(what) + " " + std::to_string(v) + " is out of range (" + std::to_string(lo) + ".." +
                        std::to_string(hi) + ")");
    };
    range("lazy refresh", r.lazy_refresh, 1, 1000);
    range("mask grow", r.mask_grow, 0, 256);
    range("mask blur", r.mask_blur, 0, 256);
    range("mask feather", r.mask_feather, 0, 256);
    range("crop margin", r.crop_margin, 0, 4096);
    range("lazy halo", r.lazy_halo, 0, 64);
    if (r.inpaint_mode == "crop" && r.noise_file)
        throw Error("a noise file cannot be used with crop inpainting: the crop has its own latent size "
                    "(use full or lazy, or leave the noise to the seed)");
}

namespace inpaint {

std::vector<float> support(const Mask& m) {
    std::vector<float> s(m.value.size());
    for (size_t i = 0; i < s.size(); ++i) s[i] = m.value[i] > 0 ? 1.0f : 0.0f;
    return s;
}

std::vector<float> dilate(const std::vector<float>& x, int w, int h, int radius) {
    if (radius <= 0) return x;
    // Separable: a square max filter is a row max then a column max.
    std::vector<float> rows(x.size()), out(x.size());
    for (int y = 0; y < h; ++y)
        for (int i = 0; i < w; ++i) {
            float m = 0.0f;
            for (int j = std::max(0, i - radius); j <= std::min(w - 1, i + radius); ++j) m = std::max(m, x[size_t(y) * w + j]);
            rows[size_t(y) * w + i] = m;
        }
    for (int y = 0; y < h; ++y)
        for (int i = 0; i < w; ++i) {
            float m = 0.0f;
            for (int j = std::max(0, y - radius); j <= std::min(h - 1, y + radius); ++j) m = std::max(m, rows[size_t(j) * w + i]);
            out[size_t(y) * w + i] = m;
        }
    return out;
}

std::vector<float> blur(const std::vector<float>& x, int w, int h, int radius) {
    if (radius <= 0) return x;
    const float sigma = std::max(0.5f, radius / 2.0f);
    std::vector<float> k(size_t(2 * radius + 1));
    float sum = 0.0f;
    for (int i = -radius; i <= radius; ++i) sum += k[size_t(i + radius)] = std::exp(-0.5f * i * i / (sigma * sigma));
    for (float& v : k) v /= sum;
    // Edges clamp, so a mask touching the border stays 1 there.
    std::vector<float> rows(x.size()), out(x.size());
    for (int y = 0; y < h; ++y)
        for (int i = 0; i < w; ++i) {
            float acc = 0.0f;
            for (int j = -radius; j <= radius; ++j) acc += k[size_t(j + radius)] * x[size_t(y) * w + std::clamp(i + j, 0, w - 1)];
            rows[size_t(y) * w + i] = acc;
        }
    for (int y = 0; y < h; ++y)
        for (int i = 0; i < w; ++i) {
            float acc = 0.0f;
            for (int j = -radius; j <= radius; ++j) acc += k[size_t(j + radius)] * rows[size_t(std::clamp(y + j, 0, h - 1)) * w + i];
            out[size_t(y) * w + i] = std::min(1.0f, acc);
        }
    return out;
}

std::vector<float> max_pool(const std::vector<float>& x, int w, int h, int f) {
    const int lw = w / f, lh = h / f;
    std::vector<float> out(size_t(lw) * lh, 0.0f);
    for (int y = 0; y < lh * f; ++y)
        for (int i = 0; i < lw * f; ++i) {
            float& o = out[size_t(y / f) * lw + i / f];
            o = std::max(o, x[size_t(y) * w + i]);
        }
    return out;
}

std::vector<float> denoise_mask(const Mask& m, int grow, int blur_radius, int down) {
    const auto s = support(m);
    auto soft = blur(dilate(s, m.width, m.height, grow), m.width, m.height, blur_radius);
    // Dilating by less than the blur radius would leave the mask's own edge below 1: never let
    // a masked pixel be only partly regenerated.
    for (size_t i = 0; i < soft.size(); ++i) soft[i] = std::max(soft[i], s[i]);
    // Averaging would make a cell that is 1/64 masked almost known; max keeps it regenerated.
    return max_pool(soft, m.width, m.height, down);
}

std::vector<float> blend_mask(const Mask& m, int feather) {
    const int w = m.width, h = m.height;
    const size_t n = m.value.size();
    std::vector<float> out(n);
    if (feather <= 0) {
        for (size_t i = 0; i < n; ++i) out[i] = m.value[i] / 255.0f;
        return out;
    }
    // Chamfer distance (1, sqrt 2) to the nearest pixel whose mask is 0, two passes.
    const float inf = std::numeric_limits<float>::infinity(), diag = std::sqrt(2.0f);
    std::vector<float> d(n);
    for (size_t i = 0; i < n; ++i) d[i] = m.value[i] == 0 ? 0.0f : inf;
    auto at = [&](int y, int x) -> float { return d[size_t(y) * w + x]; };
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            float& v = d[size_t(y) * w + x];
            if (x > 0) v = std::min(v, at(y, x - 1) + 1.0f);
            if (y > 0) {
                v = std::min(v, at(y - 1, x) + 1.0f);
                if (x > 0) v = std::min(v, at(y - 1, x - 1) + diag);
                if (x + 1 < w) v = std::min(v, at(y - 1, x + 1) + diag);
            }
        }
    for (int y = h - 1; y >= 0; --y)
        for (int x = w - 1; x >= 0; --x) {
            float& v = d[size_t(y) * w + x];
            if (x + 1 < w) v = std::min(v, at(y, x + 1) + 1.0f);
            if (y + 1 < h) {
                v = std::min(v, at(y + 1, x) + 1.0f);
                if (x + 1 < w) v = std::min(v, at(y + 1, x + 1) + diag);
                if (x > 0) v = std::min(v, at(y + 1, x - 1) + diag);
            }
        }
    for (size_t i = 0; i < n; ++i) {
        // The first pixel inside (distance 1) already gets a little of the new image.
        const float t = std::min(1.0f, d[i] / float(feather + 1));
        const float ramp = t * t * (3.0f - 2.0f * t);  // smoothstep: no kink where the fade ends
        out[i] = m.value[i] / 255.0f * ramp;
    }
    return out;
}

Image composite(const Image& original, const Image& generated, const std::vector<float>& blend) {
    if (original.width != generated.width || original.height != generated.height ||
        blend.size() != size_t(original.width) * size_t(original.height))
        throw Error("inpaint composite: the result is " + std::to_string(generated.width) + "x" +
                    std::to_string(generated.height) + ", the input " + std::to_string(original.width) + "x" +
                    std::to_string(original.height));
    Image out = original;
    for (size_t p = 0; p < blend.size(); ++p) {
        const float b = blend[p];
        if (b <= 0.0f) continue;  // the input's bytes, untouched
        for (int c = 0; c < 3; ++c) {
            const float v = b * generated.rgb[p * 3 + c] + (1.0f - b) * original.rgb[p * 3 + c];
            out.rgb[p * 3 + c] = uint8_t(std::clamp(std::lround(v), 0L, 255L));
        }
    }
    return out;
}

void split_tokens(const std::vector<float>& latent_mask, int lw, int lh, int p, int halo,
                  std::vector<int32_t>& active, std::vector<int32_t>& cached) {
    const int gw = lw / p, gh = lh / p;
    std::vector<char> hit(size_t(gw) * gh, 0), grown(hit.size(), 0);
    for (int y = 0; y < gh * p; ++y)
        for (int x = 0; x < gw * p; ++x)
            if (latent_mask[size_t(y) * lw + x] > 0.0f) hit[size_t(y / p) * gw + x / p] = 1;
    for (int ty = 0; ty < gh; ++ty)
        for (int tx = 0; tx < gw; ++tx) {
            if (!hit[size_t(ty) * gw + tx]) continue;
            for (int y = std::max(0, ty - halo); y <= std::min(gh - 1, ty + halo); ++y)
                for (int x = std::max(0, tx - halo); x <= std::min(gw - 1, tx + halo); ++x) grown[size_t(y) * gw + x] = 1;
        }
    active.clear();
    cached.clear();
    for (int t = 0; t < gw * gh; ++t) (grown[size_t(t)] ? active : cached).push_back(t);
}

}  // namespace inpaint

LatentInpaint::LatentInpaint(const Request& r, Tensor known, Tensor noise, int down, int patch)
    : init_(*r.init_image), known_(std::move(known)), noise_(std::move(noise)), refresh_(r.lazy_refresh) {
    const Mask& m = *r.mask;
    const int lw = m.width / down, lh = m.height / down;
    if (known_.ndim() != 4 || known_.dim(2) != lh || known_.dim(3) != lw || noise_.shape() != known_.shape())
        throw Error("inpainting: the init latent " + shape_str(known_.shape()) + " and noise " +
                    shape_str(noise_.shape()) + " do not match the " + std::to_string(lw) + "x" +
                    std::to_string(lh) + " latent of the mask");
    mask_ = inpaint::denoise_mask(m, r.mask_grow, r.mask_blur, down);
    blend_ = inpaint::blend_mask(m, r.mask_feather);
    if (r.inpaint_mode == "lazy") {
        lazy_ = std::make_unique<LazyTokens>();
        inpaint::split_tokens(mask_, lw, lh, patch, r.lazy_halo, lazy_->active, lazy_->cached);
    }
}

void LatentInpaint::impose(Tensor& x, const Sampler& s, int level) const {
    const Tensor target = s.add_noise_at(known_, noise_, level);
    const int64_t C = x.dim(1), hw = int64_t(mask_.size());
    for (int64_t c = 0; c < C; ++c)
        for (int64_t j = 0; j < hw; ++j) {
            const float m = mask_[size_t(j)];
            float& v = x[c * hw + j];
            // Exact at both ends: 0 takes the known latent as is, 1 keeps the sample as is.
            if (m <= 0.0f) v = target[c * hw + j];
            else if (m < 1.0f) v = m * v + (1.0f - m) * target[c * hw + j];
        }
}

Tensor LatentInpaint::preview_x0(const Tensor& predicted_x0) const {
    Tensor out = predicted_x0.clone();
    const int64_t C = out.dim(1), hw = int64_t(mask_.size());
    for (int64_t c = 0; c < C; ++c)
        for (int64_t j = 0; j < hw; ++j) {
            const float m = mask_[size_t(j)];
            out[c * hw + j] = m * out[c * hw + j] + (1.0f - m) * known_[c * hw + j];
        }
    return out;
}

Image LatentInpaint::composite(const Image& decoded) const { return inpaint::composite(init_, decoded, blend_); }

LazyTokens* LatentInpaint::lazy_step(int i) {
    if (!lazy_) return nullptr;
    lazy_->refresh = i % refresh_ == 0;
    return lazy_.get();
}

}  // namespace dit
