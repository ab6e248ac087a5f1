#pragma once
// The bucket fill: the contiguous area around a seed whose colour (in `reference`, what the user
// sees: the composite) lies within `tolerance` of the seed's on every channel, painted into an
// image layer with a colour at an opacity (source over, straight alpha). 4-connected, as GIMP and
// Krita fill by default, so a one-pixel diagonal line holds the fill.
#include <QColor>
#include <QImage>
#include <QPoint>
#include <QRect>

namespace dit::studio {

// The area to fill: Format_Grayscale8 of the reference's size, 255 inside. `tolerance` 0..255.
QImage fill_region(const QImage& reference, QPoint seed, int tolerance);

// Paints `colour` at `opacity` into `layer` (Format_RGBA8888) where `region` is set; returns the
// rect it changed (empty when the seed is outside).
QRect paint_region(QImage& layer, const QImage& region, const QColor& colour, double opacity);

}  // namespace dit::studio
