#pragma once
// 8-bit RGB images as the engine exchanges them with its callers (no Qt in the engine).
#include <cstdint>
#include <vector>

#include "engine/tensor.h"

namespace dit {

struct Image {
    int width = 0, height = 0;
    std::vector<uint8_t> rgb;  // row-major, 3 bytes a pixel
    bool empty() const { return rgb.empty(); }
};

// An 8-bit single-channel mask: 0 keeps a pixel, 255 regenerates it, values between blend.
struct Mask {
    int width = 0, height = 0;
    std::vector<uint8_t> value;  // row-major, 1 byte a pixel
    bool empty() const { return value.empty(); }
};

// [1, 3, H, W] in [-1, 1] -> Image (rounded, clamped) and back.
Image image_from_tensor(const Tensor& t);
Tensor tensor_from_image(const Image& img);

// Peak signal-to-noise ratio of b against a in dB over every byte; +inf when they are identical.
// Throws dit::Error when the sizes differ.
double psnr(const Image& a, const Image& b);

}  // namespace dit
