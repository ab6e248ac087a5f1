#pragma once
// The colours the canvas marks things with. The inpaint mask and the regions must never be
// mistaken for one another: the mask is hatched in its own colour (cyan by default, which few
// pictures are), and no region colour may sit close to it.
#include <QColor>
#include <QImage>
#include <QList>
#include <QRect>

namespace dit::ui {

QColor default_mask_colour();
// The distinct hues new regions take, in order.
const QList<QColor>& region_palette();
// Whether two overlay colours would read as the same on the canvas (close in hue and strength).
bool colours_collide(const QColor& a, const QColor& b);
// The first palette colour that collides with neither `avoid` (the mask colour) nor `used`.
QColor next_region_colour(const QColor& avoid, const QList<QColor>& used);

// Writes `tint` with alpha following `gray` into `overlay` (ARGB32_Premultiplied) over `rect`.
// Hatched: diagonal stripes at full alpha with half alpha between, so the mask reads as a mask
// over any picture and never as a flat region fill.
void tint_gray(const QImage& gray, QImage& overlay, QRect rect, const QColor& tint, bool hatched = false);

}  // namespace dit::ui
