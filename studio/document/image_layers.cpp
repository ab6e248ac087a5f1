#include "studio/document/image_layers.h"

#include <algorithm>
#include <cmath>

namespace dit::studio {

QString blend_name(BlendMode m) {
    switch (m) {
        case BlendMode::Multiply: return QStringLiteral("multiply");
        case BlendMode::Screen: return QStringLiteral("screen");
        case BlendMode::Normal: break;
    }
    return QStringLiteral("normal");
}

std::optional<BlendMode> blend_from_name(const QString& name) {
    for (BlendMode m : {BlendMode::Normal, BlendMode::Multiply, BlendMode::Screen})
        if (blend_name(m) == name) return m;
    return std::nullopt;
}

int blend_channel(BlendMode m, int src, int dst) {
    switch (m) {
        case BlendMode::Multiply: return (src * dst + 127) / 255;
        case BlendMode::Screen: return src + dst - (src * dst + 127) / 255;
        case BlendMode::Normal: break;
    }
    return src;
}

QImage to_layer_format(const QImage& img) { return img.convertToFormat(QImage::Format_RGBA8888); }

ImageLayer make_image_layer(quint32 id, const QString& name, const QImage& pixels, QSize canvas) {
    ImageLayer l;
    l.id = id;
    l.name = name;
    if (pixels.isNull()) {
        l.pixels = QImage(canvas, QImage::Format_RGBA8888);
        l.pixels.fill(Qt::transparent);
    } else {
        l.pixels = to_layer_format(pixels);
    }
    return l;
}

void composite_layers(const std::vector<ImageLayer>& layers, QImage& into, QRect rect) {
    rect = rect.isNull() ? into.rect() : rect.intersected(into.rect());
    for (int y = rect.top(); y <= rect.bottom(); ++y) {
        uchar* out = into.scanLine(y) + 3 * rect.left();
        std::fill_n(out, 3 * rect.width(), uchar(255));  // white paper
    }
    for (const ImageLayer& l : layers) {
        if (!l.visible || l.opacity <= 0 || l.pixels.size() != into.size()) continue;
        const int opacity255 = int(std::lround(std::clamp(l.opacity, 0.0, 1.0) * 255));
        for (int y = rect.top(); y <= rect.bottom(); ++y) {
            const uchar* src = l.pixels.constScanLine(y) + 4 * rect.left();
            uchar* dst = into.scanLine(y) + 3 * rect.left();
            for (int x = 0; x < rect.width(); ++x, src += 4, dst += 3) {
                const int a = (src[3] * opacity255 + 127) / 255;
                if (a == 0) continue;
                for (int c = 0; c < 3; ++c) dst[c] = uchar(composite_channel(l.blend, src[c], dst[c], a));
            }
        }
    }
}

QImage composite_layers(const std::vector<ImageLayer>& layers, QSize canvas) {
    if (layers.empty()) return {};
    QImage out(canvas, QImage::Format_RGB888);
    composite_layers(layers, out, {});
    return out;
}

}  // namespace dit::studio
