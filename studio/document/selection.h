#pragma once
// Selections: an 8-bit coverage image of the canvas (Format_Grayscale8, 255 = selected, soft
// edges after feathering), made from a rectangle, an ellipse or a freehand lasso. A pixel is
// selected when its centre lies inside the shape (even-odd rule for a self-crossing lasso), so a
// shape maps to exact, repeatable pixels. Feathering, inverting and the mask conversions are the
// mask operations (mask_ops.h): a selection is a mask that does not regenerate anything itself.
#include <QImage>
#include <QPolygonF>
#include <QRectF>

namespace dit::studio {

QImage rect_selection(QSize canvas, const QRectF& r);
QImage ellipse_selection(QSize canvas, const QRectF& bounds);
QImage lasso_selection(QSize canvas, const QPolygonF& points);

// The selection's border pixels (selected, >= 128, with a 4-neighbour that is not), for the
// canvas's outline.
QImage selection_border(const QImage& selection);

}  // namespace dit::studio
