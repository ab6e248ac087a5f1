#include "engine/image.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "engine/error.h"

namespace dit {

// Matches diffusers' VaeImageProcessor.postprocess + numpy_to_pil in f32:
// v = clamp(x / 2 + 0.5, 0, 1) * 255, then numpy's round(), which is round-half-to-even;
// std::nearbyint under the default rounding mode (to nearest, ties to even) is the same.
// (x / 2 is exact, so a fused multiply-add cannot change the result either.)
// NaN maps to 0.
Image image_from_tensor(const Tensor& t) {
    // t: [1, 3, H, W] (a [3, H, W] tensor is taken as a batch of one)
    const Shape& s = t.shape();
    const bool batched = s.size() == 4 && s[0] == 1 && s[1] == 3;
    const bool single = s.size() == 3 && s[0] == 3;
    if (!(batched || single) || t.empty())
        throw Error("image_from_tensor: expected a [1, 3, H, W] tensor, got " + shape_str(s));
    const int64_t h = s[s.size() - 2], w = s[s.size() - 1];
    if (h <= 0 || w <= 0 || h > 65535 || w > 65535)
        throw Error("image_from_tensor: image size " + std::to_string(w) + "x" + std::to_string(h) + " out of range");
    Image img;
    img.width = static_cast<int>(w);
    img.height = static_cast<int>(h);
    img.rgb.resize(static_cast<size_t>(w * h * 3));
    const float* src = t.data();
    const int64_t plane = h * w;
    for (int64_t c = 0; c < 3; ++c) {
        for (int64_t i = 0; i < plane; ++i) {
            const float x = src[c * plane + i];
            float v = x / 2.0f + 0.5f;
            v = std::isnan(v) ? 0.0f : std::clamp(v, 0.0f, 1.0f);
            img.rgb[static_cast<size_t>(i * 3 + c)] = static_cast<uint8_t>(std::nearbyint(v * 255.0f));
        }
    }
    return img;
}

// Matches diffusers' preprocess: x = 2 * (v / 255) - 1 in f32.
Tensor tensor_from_image(const Image& img) {
    if (img.width <= 0 || img.height <= 0 ||
        img.rgb.size() != static_cast<size_t>(img.width) * static_cast<size_t>(img.height) * 3)
        throw Error("tensor_from_image: image is " + std::to_string(img.width) + "x" + std::to_string(img.height) +
                    " with " + std::to_string(img.rgb.size()) + " bytes, expected 3 bytes a pixel");
    const int64_t h = img.height, w = img.width, plane = h * w;
    Tensor t({1, 3, h, w});  // [1, 3, H, W]
    float* dst = t.data();
    for (int64_t c = 0; c < 3; ++c)
        for (int64_t i = 0; i < plane; ++i)
            dst[c * plane + i] = 2.0f * (static_cast<float>(img.rgb[static_cast<size_t>(i * 3 + c)]) / 255.0f) - 1.0f;
    return t;
}

double psnr(const Image& a, const Image& b) {
    if (a.width != b.width || a.height != b.height || a.rgb.size() != b.rgb.size())
        throw Error("psnr: images of " + std::to_string(a.width) + "x" + std::to_string(a.height) + " and " +
                    std::to_string(b.width) + "x" + std::to_string(b.height) + " pixels");
    double se = 0;
    for (size_t i = 0; i < a.rgb.size(); ++i) {
        const double d = double(a.rgb[i]) - double(b.rgb[i]);
        se += d * d;
    }
    if (se == 0) return std::numeric_limits<double>::infinity();
    return 10 * std::log10(255.0 * 255.0 * double(a.rgb.size()) / se);
}

}  // namespace dit
