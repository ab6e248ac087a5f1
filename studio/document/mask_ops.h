#pragma once
// Whole-mask operations on 8-bit masks (Format_Grayscale8). Soft masks stay soft: grow is a
// grey-level dilation by a disc, shrink an erosion, feather a Gaussian blur.
#include <QImage>

namespace dit::studio {

// True when any pixel is non-zero (a mask someone painted on).
bool any_painted(const QImage& mask);
QImage invert_mask(const QImage& mask);
// Every pixel becomes the max (grow) / min (shrink) over the disc of radius `px` around it.
QImage grow_mask(const QImage& mask, int px);
QImage shrink_mask(const QImage& mask, int px);
// Gaussian blur with sigma px/3 truncated at px, so the edge ramp is about px wide.
QImage feather_mask(const QImage& mask, int px);

}  // namespace dit::studio
