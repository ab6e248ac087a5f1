#include "studio/document/extend_canvas.h"

#include <QPainter>
#include <cmath>

#include "engine/error.h"
#include "studio/result_png.h"

namespace dit::studio {

namespace {

// A gray layer moved into a larger canvas, the new area `fill`.
QImage moved(const QImage& layer, QSize canvas, QPoint at, uchar fill) {
    QImage out(canvas, QImage::Format_Grayscale8);
    out.fill(fill);
    QPainter p(&out);
    p.drawImage(at, layer);
    return out;
}

// An image layer extended as the picture is: its colour and its alpha each stretched from the
// nearest edge pixel, so the composite of the extended layers is the extended composite.
QImage extended_layer(const QImage& layer, const Outpaint& o) {
    const QImage rgb = to_qimage(extend_image(from_qimage(layer), o));
    QImage alpha = layer.convertToFormat(QImage::Format_Alpha8);
    alpha = QImage(alpha.constBits(), alpha.width(), alpha.height(), alpha.bytesPerLine(), QImage::Format_Grayscale8).copy();
    const QImage a = to_qimage(extend_image(from_qimage(alpha), o)).convertToFormat(QImage::Format_Grayscale8);
    QImage out = rgb.convertToFormat(QImage::Format_RGBA8888);
    for (int y = 0; y < out.height(); ++y) {
        uchar* row = out.scanLine(y);
        const uchar* ar = a.constScanLine(y);
        for (int x = 0; x < out.width(); ++x) row[4 * x + 3] = ar[x];
    }
    return out;
}

}  // namespace

DocumentState extend_canvas(const DocumentState& s, const Outpaint& asked) {
    if (s.image.isNull()) throw Error("extend canvas: there is no picture to extend: open or generate one first");
    const Outpaint o = round_outpaint(asked, s.canvas.width(), s.canvas.height(), 16);
    const QSize canvas(s.canvas.width() + o.left + o.right, s.canvas.height() + o.top + o.bottom);
    if (canvas.width() > 8192 || canvas.height() > 8192)
        throw Error(QString("extend canvas: %1x%2 is larger than 8192 a side").arg(canvas.width()).arg(canvas.height()).toStdString());
    const QPoint at(o.left, o.top);
    DocumentState out = s;
    out.canvas = canvas;
    for (ImageLayer& l : out.layers) l.pixels = extended_layer(l.pixels, o);
    out.image = s.layers.empty() ? to_qimage(extend_image(from_qimage(s.image), o)) : composite_layers(out.layers, canvas);
    // The new area is masked; a mask painted on the old picture stays (one inpaint does both).
    out.mask = moved(s.mask, canvas, at, 0);
    const Mask fresh = outpaint_mask(s.canvas.width(), s.canvas.height(), o);
    for (int y = 0; y < canvas.height(); ++y) {
        uchar* row = out.mask.scanLine(y);
        for (int x = 0; x < canvas.width(); ++x) row[x] = std::max(row[x], fresh.value[size_t(y) * canvas.width() + x]);
    }
    out.edges = moved(s.edges, canvas, at, 0);
    if (!s.selection.isNull()) out.selection = moved(s.selection, canvas, at, 0);
    for (auto& r : out.regions) r.mask = moved(r.mask, canvas, at, 0);
    for (auto& p : out.people)
        for (int i = 0; i < kPosePointCount; ++i)
            if (PosePoint* k = pose_point(p, i)) {
                k->x += float(o.left);
                k->y += float(o.top);
            }
    out.settings.mode = GenerationMode::Inpaint;
    out.settings.denoise = 1.0;
    out.settings.width = canvas.width();
    out.settings.height = canvas.height();
    return out;
}

Outpaint outpaint_to_aspect(QSize canvas, double aspect) {
    Outpaint o;
    if (!(aspect > 0)) return o;
    const double now = double(canvas.width()) / canvas.height();
    if (aspect > now) {
        const int add = int(std::lround(canvas.height() * aspect)) - canvas.width();
        o.left = add / 2;
        o.right = add - add / 2;
    } else {
        const int add = int(std::lround(canvas.width() / aspect)) - canvas.height();
        o.top = add / 2;
        o.bottom = add - add / 2;
    }
    return o;
}

}  // namespace dit::studio
