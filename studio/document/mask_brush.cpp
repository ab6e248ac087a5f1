#include "studio/document/mask_brush.h"

#include <QLineF>
#include <cmath>

namespace dit::studio {

double MaskBrush::coverage(double d) const {
    if (d >= 1) return 0;
    if (hardness_ >= 1) return 1;
    // Flat core out to `hardness`, then a smoothstep down to 0 at the rim.
    if (d <= hardness_) return 1;
    const double t = (d - hardness_) / (1 - hardness_);
    return 1 - t * t * (3 - 2 * t);
}

QRect MaskBrush::dab(QImage& target, QPointF c) const {
    const double r = size_ / 2;
    const QRect box = QRect(QPoint(int(std::floor(c.x() - r)), int(std::floor(c.y() - r))),
                            QPoint(int(std::ceil(c.x() + r)), int(std::ceil(c.y() + r))))
                          .intersected(target.rect());
    QRect changed;
    for (int y = box.top(); y <= box.bottom(); ++y) {
        uint8_t* row = target.scanLine(y);
        const double dy = y + 0.5 - c.y();
        for (int x = box.left(); x <= box.right(); ++x) {
            const double dx = x + 0.5 - c.x();
            const double a = coverage(std::sqrt(dx * dx + dy * dy) / r);
            if (a <= 0) continue;
            uint8_t& px = row[x];
            const uint8_t before = px;
            if (erase_) px = std::min<int>(px, int(std::lround(255 * (1 - a))));
            else px = std::max<int>(px, int(std::lround(value_ * a)));
            if (px != before) changed |= QRect(x, y, 1, 1);
        }
    }
    return changed;
}

QRect MaskBrush::begin(QImage* target, QPointF p) {
    target_ = target;
    last_ = p;
    carry_ = 0;
    dirty_ = dab(*target_, p);
    return dirty_;
}

QRect MaskBrush::lineTo(QPointF p) {
    if (!target_) return {};
    const double step = std::max(1.0, spacing_ * size_);
    const QLineF seg(last_, p);
    const double len = seg.length();
    QRect changed;
    // Walk the segment, laying a dab every `step` pixels; what is left carries to the next call.
    double t = step - carry_;
    for (; t <= len; t += step) changed |= dab(*target_, seg.pointAt(t / len));
    carry_ = len - (t - step);
    last_ = p;
    dirty_ |= changed;
    return changed;
}

QRect MaskBrush::end() {
    target_ = nullptr;
    return dirty_;
}

}  // namespace dit::studio
