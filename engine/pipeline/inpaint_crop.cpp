// Crop inpainting: a small edit in a big image is generated at the model's own resolution, from
// the mask's bounding box plus some context, and pasted back; cost follows the model size, not
// the image size, and a small mask gets the model's full detail.
#include <algorithm>
#include <cmath>

#include "engine/error.h"
#include "engine/pipeline/inpaint.h"
#include "engine/pipeline/parameters.h"

namespace dit {
namespace {

struct Box {
    int x = 0, y = 0, w = 0, h = 0;
};

// Separable resampling of `channels` interleaved planes with a triangle filter whose support
// widens with the downscale factor (area-like when shrinking, bilinear when growing).
std::vector<float> resample(const std::vector<float>& src, int sw, int sh, int channels, int dw, int dh) {
    auto run = [&](const std::vector<float>& in, int iw, int ih, int ow, int oh, bool horizontal) {
        const int n_in = horizontal ? iw : ih, n_out = horizontal ? ow : oh;
        const double scale = double(n_in) / n_out;
        const double support = std::max(1.0, scale);
        std::vector<float> out(size_t(ow) * oh * channels, 0.0f);
        for (int o = 0; o < n_out; ++o) {
            const double centre = (o + 0.5) * scale - 0.5;
            const int lo = std::max(0, int(std::floor(centre - support)) + 1);
            const int hi = std::min(n_in - 1, int(std::ceil(centre + support)) - 1);
            std::vector<std::pair<int, float>> taps;
            double total = 0;
            for (int i = lo; i <= hi; ++i) {
                const double wgt = std::max(0.0, 1.0 - std::abs(i - centre) / support);
                if (wgt > 0) taps.push_back({i, float(wgt)}), total += wgt;
            }
            if (taps.empty()) taps.push_back({std::clamp(int(std::lround(centre)), 0, n_in - 1), 1.0f}), total = 1;
            for (auto& t : taps) t.second = float(t.second / total);
            const int lines = horizontal ? oh : ow;
            for (int l = 0; l < lines; ++l)
                for (int c = 0; c < channels; ++c) {
                    float acc = 0;
                    for (const auto& [i, wgt] : taps) {
                        const size_t at = horizontal ? (size_t(l) * iw + i) : (size_t(i) * iw + l);
                        acc += wgt * in[at * channels + c];
                    }
                    const size_t to = horizontal ? (size_t(l) * ow + o) : (size_t(o) * ow + l);
                    out[to * channels + c] = acc;
                }
        }
        return out;
    };
    const auto rows = run(src, sw, sh, dw, sh, true);
    return run(rows, dw, sh, dw, dh, false);
}

Image crop_resize(const Image& img, const Box& b, int w, int h) {
    std::vector<float> px(size_t(b.w) * b.h * 3);
    for (int y = 0; y < b.h; ++y)
        for (int x = 0; x < b.w; ++x)
            for (int c = 0; c < 3; ++c)
                px[(size_t(y) * b.w + x) * 3 + c] = img.rgb[(size_t(b.y + y) * img.width + b.x + x) * 3 + c];
    const auto out = resample(px, b.w, b.h, 3, w, h);
    Image r;
    r.width = w;
    r.height = h;
    r.rgb.resize(out.size());
    for (size_t i = 0; i < out.size(); ++i) r.rgb[i] = uint8_t(std::clamp(std::lround(out[i]), 0L, 255L));
    return r;
}

// Any value > 0 stays > 0, so a thin stroke survives the downscale.
Mask crop_resize(const Mask& m, const Box& b, int w, int h) {
    std::vector<float> px(size_t(b.w) * b.h);
    for (int y = 0; y < b.h; ++y)
        for (int x = 0; x < b.w; ++x) px[size_t(y) * b.w + x] = m.value[size_t(b.y + y) * m.width + b.x + x];
    const auto out = resample(px, b.w, b.h, 1, w, h);
    Mask r;
    r.width = w;
    r.height = h;
    r.value.resize(out.size());
    for (size_t i = 0; i < out.size(); ++i)
        r.value[i] = out[i] > 0.0f ? uint8_t(std::clamp(std::lround(out[i]), 1L, 255L)) : 0;
    return r;
}

int round_to(double v, int multiple) { return std::max(multiple, int(std::lround(v / multiple)) * multiple); }

}  // namespace

CropPlan plan_crop(const Request& r, int model_pixels, int multiple) {
    const Mask& m = *r.mask;
    int x0 = m.width, y0 = m.height, x1 = -1, y1 = -1;
    for (int y = 0; y < m.height; ++y)
        for (int x = 0; x < m.width; ++x)
            if (m.value[size_t(y) * m.width + x]) x0 = std::min(x0, x), x1 = std::max(x1, x), y0 = std::min(y0, y), y1 = std::max(y1, y);
    // The context: the margin beyond the denoise mask's own reach (grow + blur).
    const int pad = r.crop_margin + r.mask_grow + r.mask_blur;
    Box b;
    b.x = std::max(0, x0 - pad);
    b.y = std::max(0, y0 - pad);
    b.w = std::min(m.width, x1 + 1 + pad) - b.x;
    b.h = std::min(m.height, y1 + 1 + pad) - b.y;
    // The crop at about the model's native area, its aspect kept to the rounding.
    const double scale = model_pixels / std::sqrt(double(b.w) * b.h);
    const int tw = std::min(8192 / multiple * multiple, round_to(b.w * scale, multiple));
    const int th = std::min(8192 / multiple * multiple, round_to(b.h * scale, multiple));
    return {b.x, b.y, b.w, b.h, tw, th};
}

Result inpaint_crop(const Request& r, int model_pixels, int multiple, const Callbacks& cb,
                    const std::function<Result(const Request&, Callbacks&)>& run) {
    const Mask& m = *r.mask;
    const CropPlan plan = plan_crop(r, model_pixels, multiple);
    const Box b{plan.x, plan.y, plan.w, plan.h};
    const int tw = plan.width, th = plan.height;
    const double sx = double(tw) / b.w, sy = double(th) / b.h;

    Request sub = r;
    sub.inpaint_mode = "full";
    sub.width = tw;
    sub.height = th;
    sub.init_image = crop_resize(*r.init_image, b, tw, th);
    sub.mask = crop_resize(m, b, tw, th);
    // Pixel settings keep their size relative to the content.
    sub.mask_grow = int(std::lround(r.mask_grow * sx));
    sub.mask_blur = int(std::lround(r.mask_blur * sx));
    sub.mask_feather = int(std::lround(r.mask_feather * std::min(sx, sy)));
    for (auto& c : sub.controls)
        if (!c.image.empty()) c.image = crop_resize(c.image, b, tw, th);
    for (auto& region : sub.regions)
        if (!region.mask.empty()) region.mask = crop_resize(region.mask, b, tw, th);
    // A region wholly outside the crop has no say in it (and an empty region mask is an error).
    std::erase_if(sub.regions, [](const RegionPrompt& region) {
        return !region.mask.empty() &&
               std::none_of(region.mask.value.begin(), region.mask.value.end(), [](uint8_t v) { return v > 127; });
    });
    // The crop's picture at its own size, in place in the input picture.
    auto paste = [&](const Image& crop) {
        Image pasted = *r.init_image;
        const Image back = crop_resize(crop, Box{0, 0, crop.width, crop.height}, b.w, b.h);
        for (int y = 0; y < b.h; ++y)
            std::copy_n(back.rgb.begin() + size_t(y) * b.w * 3, size_t(b.w) * 3,
                        pasted.rgb.begin() + (size_t(b.y + y) * pasted.width + b.x) * 3);
        return pasted;
    };
    Callbacks sub_cb = cb;
    if (cb.preview)
        sub_cb.preview = [&](const Image& preview, const Progress& p) { cb.preview(paste(preview), p); };
    Result res = run(sub, sub_cb);

    // Paste the crop back, then blend through the full-size mask.
    res.image = inpaint::composite(*r.init_image, paste(res.image), inpaint::blend_mask(m, r.mask_feather));
    res.parameters = parameters_json(r);
    return res;
}

}  // namespace dit
