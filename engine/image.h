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

// [1, 3, H, W] in [-1, 1] -> Image (rounded, clamped) and back.
Image image_from_tensor(const Tensor& t);
Tensor tensor_from_image(const Image& img);

}  // namespace dit
