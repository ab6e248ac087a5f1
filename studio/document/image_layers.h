#pragma once
// The image layer stack: raster layers with visibility, opacity and a blend mode, composited
// bottom to top over white paper into the one picture every generation, export and control
// reads (the "visible composite"). Compositing is integer and per pixel, so it is exact and
// repeatable: an opaque normal layer at full opacity reproduces its pixels bit for bit.
#include <QImage>
#include <QRect>
#include <QString>
#include <optional>
#include <vector>

namespace dit::studio {

enum class BlendMode { Normal, Multiply, Screen };

QString blend_name(BlendMode m);                          // "normal", "multiply", "screen"
std::optional<BlendMode> blend_from_name(const QString& name);

struct ImageLayer {
    quint32 id = 0;  // stable across edits, so undo commands and the panel can name it
    QString name;
    QImage pixels;   // Format_RGBA8888 (straight alpha), canvas size
    bool visible = true;
    double opacity = 1.0;  // 0..1
    BlendMode blend = BlendMode::Normal;
    bool operator==(const ImageLayer&) const = default;
};

// The blend of one 8-bit channel: `src` (the layer) onto `dst` (what lies below).
int blend_channel(BlendMode m, int src, int dst);

// One layer's pixel onto an opaque pixel below: the blend mixed in by the layer's alpha times
// its opacity (`alpha255`, 0..255), rounded to 8 bits.
inline int composite_channel(BlendMode m, int src, int dst, int alpha255) {
    return (dst * (255 - alpha255) + blend_channel(m, src, dst) * alpha255 + 127) / 255;
}

// Paint of colour (r, g, b) at coverage k (0..1) over a straight-alpha RGBA pixel `under`,
// written to `out` (which may be `under`): "source over", as brushes and fills paint.
inline void source_over(const uchar* under, int r, int g, int b, double k, uchar* out) {
    const double ba = under[3] / 255.0, oa = k + ba * (1 - k);
    if (oa <= 0) return;
    const auto mix = [&](int src, int dst) { return uchar(int((src * k + dst * ba * (1 - k)) / oa + 0.5)); };
    const uchar u0 = under[0], u1 = under[1], u2 = under[2];
    out[0] = mix(r, u0);
    out[1] = mix(g, u1);
    out[2] = mix(b, u2);
    out[3] = uchar(int(oa * 255 + 0.5));
}

// The layers' composite over white paper, Format_RGB888 of `canvas`; null when there are no
// layers. `rect` (null: all) limits the work to a changed area of `into`, which must then be the
// previous composite.
QImage composite_layers(const std::vector<ImageLayer>& layers, QSize canvas);
void composite_layers(const std::vector<ImageLayer>& layers, QImage& into, QRect rect);

// A layer of the canvas size: `pixels` converted (null: fully transparent).
ImageLayer make_image_layer(quint32 id, const QString& name, const QImage& pixels, QSize canvas);

// Pixels in a layer's format (Format_RGBA8888, straight alpha).
QImage to_layer_format(const QImage& img);

}  // namespace dit::studio
