#pragma once
// Inpainting metrics (docs/eval.md): the pixels outside the mask must be untouched, the mask's
// border must not show as a seam, and the prompt must be obeyed inside the mask.
#include <QImage>

#include "studio/eval/prompt_adherence.h"
#include "studio/world/world_scene.h"

namespace dit::studio {

struct OutsideDiff {
    int max_abs_diff = 0;  // over every channel of every pixel with mask == 0; must be 0
    int changed_pixels = 0;
};
// original, result: same size (any format, compared as RGB888); mask: Grayscale8 of that size,
// 0 = outside (kept), > 0 = inside (painted, soft edges count as inside). Throws dit::Error on
// size mismatch.
OutsideDiff inpaint_outside_diff(const QImage& original, const QImage& result, const QImage& mask);

struct SeamScore {
    double border_gradient = 0;  // mean gradient magnitude on the mask's border band
    double image_gradient = 0;   // mean gradient magnitude everywhere else
    double seam = 0;             // border / max(image, 1): ~1 or less = no visible seam
};
// Gradient magnitude: per pixel the largest over R, G, B of the Sobel 3x3 magnitude divided by 8
// (8-bit levels per pixel). The border band: pixels within `band` px (Chebyshev) of the boundary
// of mask >= 128, both sides.
SeamScore inpaint_seam(const QImage& result, const QImage& mask, int band = 1);

// prompt_adherence restricted to the objects whose requested centre lies inside the mask (> 0);
// the background attribute counts when the mask covers some background of the scene (always, in
// practice). An empty selection asks 1 attribute (the background).
AdherenceResult inpaint_prompt_adherence(const WorldScene& scene, const QImage& result, const QImage& mask);

}  // namespace dit::studio
