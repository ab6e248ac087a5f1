#include "studio/document/resize_canvas.h"

#include <algorithm>

#include "engine/error.h"
#include "studio/model/model_defaults.h"

namespace dit::studio {

namespace {

// Smooth scaling: masks are soft-edged anyway, and a resized image should not alias.
QImage scaled_layer(const QImage& img, QSize size) {
    if (img.isNull() || img.size() == size) return img;
    return img.scaled(size, Qt::IgnoreAspectRatio, Qt::SmoothTransformation);
}

QImage scaled_gray(const QImage& img, QSize size) {
    return img.isNull() ? img : scaled_layer(img, size).convertToFormat(QImage::Format_Grayscale8);
}

}  // namespace

QSize generation_size(QSize picture) {
    const double f = std::min(1.0, 2048.0 / std::max(picture.width(), picture.height()));
    return {engine_size(picture.width() * f), engine_size(picture.height() * f)};
}

DocumentState resized_canvas(const DocumentState& in, QSize size) {
    if (size.width() < 8 || size.height() < 8 || size.width() > 8192 || size.height() > 8192)
        throw Error("canvas size " + std::to_string(size.width()) + "x" + std::to_string(size.height()) +
                    " is outside 8 to 8192 pixels a side");
    DocumentState s = in;
    settle_layers(s);  // a state with a picture and no layers yet: the picture is its layer
    const QSize old = s.canvas;
    const double sx = double(size.width()) / old.width(), sy = double(size.height()) / old.height();
    s.canvas = size;
    for (auto& l : s.layers) l.pixels = to_layer_format(scaled_layer(l.pixels, size));
    s.image = QImage();  // composited again from the scaled layers (settle_layers)
    s.mask = scaled_gray(s.mask, size);
    s.edges = scaled_gray(s.edges, size);
    s.selection = scaled_gray(s.selection, size);
    for (auto& r : s.regions) r.mask = scaled_gray(r.mask, size);
    for (auto& p : s.people)
        for (int i = 0; i < kPosePointCount; ++i)
            if (PosePoint* k = pose_point(p, i)) {
                k->x = float(k->x * sx);
                k->y = float(k->y * sy);
            }
    const QSize gen = generation_size(size);
    s.settings.width = gen.width();
    s.settings.height = gen.height();
    settle_layers(s);
    return s;
}

}  // namespace dit::studio
