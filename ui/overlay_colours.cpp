#include "ui/overlay_colours.h"

#include <algorithm>
#include <cmath>

namespace dit::ui {

QColor default_mask_colour() { return QColor(0, 210, 255); }

const QList<QColor>& region_palette() {
    // Distinct hues that read on the dark theme and on one another.
    static const QList<QColor> palette = {QColor(255, 80, 80),   QColor(90, 220, 110), QColor(255, 200, 60),
                                          QColor(200, 110, 255), QColor(255, 140, 60), QColor(255, 110, 200),
                                          QColor(80, 120, 255),  QColor(60, 220, 220)};
    return palette;
}

bool colours_collide(const QColor& a, const QColor& b) {
    const QColor ha = a.toHsv(), hb = b.toHsv();
    // Greys have no hue: compare them by value alone.
    if (ha.hsvSaturation() < 60 || hb.hsvSaturation() < 60)
        return ha.hsvSaturation() < 60 && hb.hsvSaturation() < 60 && std::abs(ha.value() - hb.value()) < 60;
    const int d = std::abs(ha.hsvHue() - hb.hsvHue());
    return std::min(d, 360 - d) < 30;
}

QColor next_region_colour(const QColor& avoid, const QList<QColor>& used) {
    const auto& palette = region_palette();
    for (const QColor& c : palette)
        if (!colours_collide(c, avoid) && !used.contains(c)) return c;
    // Every free hue is taken: reuse, still never the mask's.
    QList<QColor> allowed;
    for (const QColor& c : palette)
        if (!colours_collide(c, avoid)) allowed.push_back(c);
    return allowed.value(int(used.size() % std::max<qsizetype>(1, allowed.size())), palette.front());
}

void tint_gray(const QImage& gray, QImage& overlay, QRect rect, const QColor& tint, bool hatched) {
    rect = rect.intersected(gray.rect());
    const int r = tint.red(), g = tint.green(), b = tint.blue();
    for (int y = rect.top(); y <= rect.bottom(); ++y) {
        const uchar* src = gray.constScanLine(y);
        auto* dst = reinterpret_cast<QRgb*>(overlay.scanLine(y));
        for (int x = rect.left(); x <= rect.right(); ++x) {
            int a = src[x];
            // Stripes 3 px wide every 8, in canvas pixels: they scale with the zoom, like paint.
            if (hatched && ((x + y) & 7) >= 3) a /= 2;
            dst[x] = qRgba(r * a / 255, g * a / 255, b * a / 255, a);
        }
    }
}

}  // namespace dit::ui
