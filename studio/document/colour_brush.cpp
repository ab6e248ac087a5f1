#include "studio/document/colour_brush.h"

#include <QLineF>
#include <cmath>

#include "studio/document/image_layers.h"
#include "studio/document/mask_brush.h"

namespace dit::studio {

double ColourBrush::sizeAt(double pressure) const {
    return pressure_size_ ? std::max(1.0, size_ * std::clamp(pressure, 0.0, 1.0)) : size_;
}

double ColourBrush::opacityAt(double pressure) const {
    return pressure_opacity_ ? opacity_ * std::clamp(pressure, 0.0, 1.0) : opacity_;
}

QRect ColourBrush::dabAt(QPointF c, double pressure) {
    if (!target_) return {};
    ++dabs_;
    const double size = sizeAt(pressure), cap = opacityAt(pressure), r = size / 2;
    MaskBrush falloff;  // the one hardness curve, shared with the mask brush
    falloff.setHardness(hardness_);
    const QRect box = QRect(QPoint(int(std::floor(c.x() - r)), int(std::floor(c.y() - r))),
                            QPoint(int(std::ceil(c.x() + r)), int(std::ceil(c.y() + r))))
                          .intersected(target_->rect());
    const int w = target_->width();
    const int cr = colour_.red(), cg = colour_.green(), cb = colour_.blue();
    QRect changed;
    for (int y = box.top(); y <= box.bottom(); ++y) {
        const uchar* base = before_.constScanLine(y);
        uchar* out = target_->scanLine(y);
        const double dy = y + 0.5 - c.y();
        for (int x = box.left(); x <= box.right(); ++x) {
            const double dx = x + 0.5 - c.x();
            const double a = falloff.coverage(std::sqrt(dx * dx + dy * dy) / r) * flow_;
            float& cov = coverage_[size_t(y) * size_t(w) + size_t(x)];
            if (a <= 0 || cov >= cap) continue;
            cov = float(cov + (cap - cov) * a);  // towards the cap, never past it
            const uchar* b = base + 4 * x;
            uchar* o = out + 4 * x;
            if (erase_) o[3] = uchar(std::lround(b[3] * (1 - double(cov))));
            else source_over(b, cr, cg, cb, cov, o);
            changed |= QRect(x, y, 1, 1);
        }
    }
    dirty_ |= changed;
    return changed;
}

QRect ColourBrush::begin(QImage* target, QPointF p, double pressure) {
    target_ = target;
    before_ = target->copy();
    coverage_.assign(size_t(target->width()) * size_t(target->height()), 0.f);
    last_ = p;
    last_pressure_ = pressure;
    carry_ = 0;
    dabs_ = 0;
    dirty_ = {};
    return dabAt(p, pressure);
}

QRect ColourBrush::lineTo(QPointF p, double pressure) {
    if (!target_) return {};
    const QLineF seg(last_, p);
    const double len = seg.length();
    QRect changed;
    // A dab every `step` along the segment (the step follows the size at the pressure there);
    // the distance walked since the last dab carries to the next call, so the spacing does not
    // depend on how often the mouse or pen reports.
    const auto pressure_at = [&](double pos) { return len > 0 ? last_pressure_ + (pressure - last_pressure_) * pos / len : pressure; };
    double pos = 0, walked = carry_;
    for (;;) {
        const double step = std::max(1.0, spacing_ * sizeAt(pressure_at(pos)));
        const double next = pos + (step - walked);
        if (next > len) {
            carry_ = walked + (len - pos);
            break;
        }
        pos = next;
        walked = 0;
        changed |= dabAt(seg.pointAt(pos / len), pressure_at(pos));
    }
    last_ = p;
    last_pressure_ = pressure;
    return changed;
}

QRect ColourBrush::end() {
    target_ = nullptr;
    before_ = QImage();
    coverage_.clear();
    coverage_.shrink_to_fit();
    return dirty_;
}

}  // namespace dit::studio
