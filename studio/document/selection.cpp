#include "studio/document/selection.h"

#include <cmath>

namespace dit::studio {

namespace {

// Every pixel whose centre `inside` accepts, within `bounds`.
template <class Inside>
QImage by_centres(QSize canvas, const QRectF& bounds, Inside inside) {
    QImage sel(canvas, QImage::Format_Grayscale8);
    sel.fill(0);
    const QRect box = QRect(QPoint(int(std::floor(bounds.left())), int(std::floor(bounds.top()))),
                            QPoint(int(std::ceil(bounds.right())), int(std::ceil(bounds.bottom()))))
                          .intersected(sel.rect());
    for (int y = box.top(); y <= box.bottom(); ++y) {
        uchar* row = sel.scanLine(y);
        for (int x = box.left(); x <= box.right(); ++x)
            if (inside(QPointF(x + 0.5, y + 0.5))) row[x] = 255;
    }
    return sel;
}

}  // namespace

QImage rect_selection(QSize canvas, const QRectF& r_in) {
    const QRectF r = r_in.normalized();
    return by_centres(canvas, r, [&](QPointF p) { return p.x() >= r.left() && p.x() < r.right() && p.y() >= r.top() && p.y() < r.bottom(); });
}

QImage ellipse_selection(QSize canvas, const QRectF& b_in) {
    const QRectF b = b_in.normalized();
    const QPointF c = b.center();
    const double rx = b.width() / 2, ry = b.height() / 2;
    return by_centres(canvas, b, [&](QPointF p) {
        if (rx <= 0 || ry <= 0) return false;
        const double dx = (p.x() - c.x()) / rx, dy = (p.y() - c.y()) / ry;
        return dx * dx + dy * dy <= 1;
    });
}

QImage lasso_selection(QSize canvas, const QPolygonF& points) {
    if (points.size() < 3) return by_centres(canvas, {}, [](QPointF) { return false; });
    return by_centres(canvas, points.boundingRect(), [&](QPointF p) { return points.containsPoint(p, Qt::OddEvenFill); });
}

QImage selection_border(const QImage& sel) {
    QImage out(sel.size(), QImage::Format_Grayscale8);
    out.fill(0);
    const int w = sel.width(), h = sel.height();
    const auto on = [&](int x, int y) { return x >= 0 && y >= 0 && x < w && y < h && sel.constScanLine(y)[x] >= 128; };
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            if (on(x, y) && (!on(x - 1, y) || !on(x + 1, y) || !on(x, y - 1) || !on(x, y + 1))) out.scanLine(y)[x] = 255;
    return out;
}

}  // namespace dit::studio
