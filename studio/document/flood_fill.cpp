#include "studio/document/flood_fill.h"

#include <algorithm>
#include "studio/document/image_layers.h"

#include <cmath>
#include <cstdlib>
#include <vector>

namespace dit::studio {

QImage fill_region(const QImage& reference_in, QPoint seed, int tolerance) {
    const QImage ref = reference_in.convertToFormat(QImage::Format_RGB888);
    QImage region(ref.size(), QImage::Format_Grayscale8);
    region.fill(0);
    if (!ref.rect().contains(seed)) return region;
    const uchar* s = ref.constScanLine(seed.y()) + 3 * seed.x();
    const int s0 = s[0], s1 = s[1], s2 = s[2];
    const auto inside = [&](int x, int y) {
        const uchar* p = ref.constScanLine(y) + 3 * x;
        return std::abs(p[0] - s0) <= tolerance && std::abs(p[1] - s1) <= tolerance && std::abs(p[2] - s2) <= tolerance;
    };
    // Scanline fill: each popped point extends left and right along its row, then seeds the
    // rows above and below once per run, so the stack stays small on large areas.
    std::vector<QPoint> stack{seed};
    while (!stack.empty()) {
        const QPoint p = stack.back();
        stack.pop_back();
        uchar* row = region.scanLine(p.y());
        if (row[p.x()]) continue;
        int l = p.x(), r = p.x();
        while (l > 0 && !row[l - 1] && inside(l - 1, p.y())) --l;
        while (r + 1 < ref.width() && !row[r + 1] && inside(r + 1, p.y())) ++r;
        for (int x = l; x <= r; ++x) row[x] = 255;
        for (int dy : {-1, 1}) {
            const int y = p.y() + dy;
            if (y < 0 || y >= ref.height()) continue;
            const uchar* next = region.constScanLine(y);
            bool run = false;
            for (int x = l; x <= r; ++x) {
                const bool take = !next[x] && inside(x, y);
                if (take && !run) stack.push_back({x, y});
                run = take;
            }
        }
    }
    return region;
}

QRect paint_region(QImage& layer, const QImage& region, const QColor& colour, double opacity) {
    const double k = std::clamp(opacity, 0.0, 1.0);
    const int cr = colour.red(), cg = colour.green(), cb = colour.blue();
    QRect changed;
    for (int y = 0; y < layer.height(); ++y) {
        const uchar* m = region.constScanLine(y);
        uchar* o = layer.scanLine(y);
        for (int x = 0; x < layer.width(); ++x) {
            if (!m[x]) continue;
            source_over(o + 4 * x, cr, cg, cb, k, o + 4 * x);
            changed |= QRect(x, y, 1, 1);
        }
    }
    return changed;
}

}  // namespace dit::studio
