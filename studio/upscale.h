#pragma once
// The classical half of upscale-and-refine: the picture enlarged with OpenCV's Lanczos (the
// resize the field compares against), which engine/pipeline/upscale.h then refines by tiles.
#include "engine/image.h"

namespace dit::studio {

// Throws dit::Error for a size outside [16, 8192] a side.
Image lanczos_resize(const Image& img, int width, int height);
// Reduced by area averaging (OpenCV's INTER_AREA), the fair way back down when a result is
// compared with its input.
Image area_resize(const Image& img, int width, int height);

}  // namespace dit::studio
