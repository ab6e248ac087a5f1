// CanvasView's pose drawing: the skeleton editing overlay and the pose background to trace
// (split from canvas_view.cpp to keep files one concept each).
#include <QPainter>

#include "studio/control/pose_renderer.h"
#include "ui/canvas_view.h"

namespace dit::ui {

void CanvasView::drawPoseBackground(QPainter& p, const QRectF& target) const {
    const QImage& bg = doc_->state().pose_background;
    const double opacity = doc_->state().pose_background_opacity * layers_[int(CanvasLayer::Pose)].opacity;
    if (bg.isNull() || opacity <= 0) return;
    // Fitted into the canvas with its aspect kept and centred, as a tracing photo should be.
    const QSizeF fitted = QSizeF(bg.size()).scaled(target.size(), Qt::KeepAspectRatio);
    const QRectF r(target.center() - QPointF(fitted.width() / 2, fitted.height() / 2), fitted);
    p.save();
    p.setRenderHint(QPainter::SmoothPixmapTransform);
    p.setOpacity(opacity);
    p.drawImage(r, bg, QRectF(bg.rect()));
    p.restore();
}

void CanvasView::drawPose(QPainter& p) const {
    // The editing overlay uses the control map's own tables (studio/control/pose_renderer.h), so
    // what the user drags is coloured like what the model will see.
    const double w = std::max(2.0, 4.0 * zoom_);
    const double small = std::max(1.5, 2.0 * zoom_);  // hands and face are dense: smaller dots
    auto point = [&](const studio::PosePoint& k, QColor fill, double r) {
        const QPointF at = canvasToWidget({k.x, k.y});
        if (!k.visible()) {
            // Deleted points stay grabbable (right click restores them) while posing.
            if (tool_ != CanvasTool::Pose) return;
            p.setPen(QPen(QColor(200, 200, 200, 160), 1, Qt::DashLine));
            p.setBrush(Qt::NoBrush);
            p.drawEllipse(at, r, r);
            p.setPen(Qt::NoPen);
            return;
        }
        p.setBrush(fill);
        if (tool_ == CanvasTool::Pose) p.setPen(QPen(QColor(0, 0, 0, 180), 1));
        p.drawEllipse(at, r, r);
        p.setPen(Qt::NoPen);
    };
    auto hand = [&](const std::vector<studio::PosePoint>& h) {
        if (h.size() != size_t(studio::kPoseHandPoints)) return;
        for (size_t i = 0; i < studio::kOpenPoseHandBones.size(); ++i) {
            const auto &a = h[size_t(studio::kOpenPoseHandBones[i][0])], &b = h[size_t(studio::kOpenPoseHandBones[i][1])];
            if (!a.visible() || !b.visible()) continue;
            const auto c = studio::hand_bone_colour(int(i));
            p.setPen(QPen(QColor(c[0], c[1], c[2]), std::max(1.0, zoom_), Qt::SolidLine, Qt::RoundCap));
            p.drawLine(canvasToWidget({a.x, a.y}), canvasToWidget({b.x, b.y}));
        }
        p.setPen(Qt::NoPen);
        for (const auto& k : h) point(k, QColor(0, 0, 255), small);
    };
    for (const auto& person : doc_->people()) {
        const auto& k = person.body;
        for (size_t i = 0; i < studio::kOpenPoseLimbs.size(); ++i) {
            const auto &a = k[size_t(studio::kOpenPoseLimbs[i][0])], &b = k[size_t(studio::kOpenPoseLimbs[i][1])];
            if (!a.visible() || !b.visible()) continue;
            const auto& c = studio::kOpenPoseColours[i];
            p.setPen(QPen(QColor(c[0], c[1], c[2], 153), w, Qt::SolidLine, Qt::RoundCap));
            p.drawLine(canvasToWidget({a.x, a.y}), canvasToWidget({b.x, b.y}));
        }
        p.setPen(Qt::NoPen);
        for (int i = 0; i < studio::kBodyKeypoints; ++i) {
            const auto& c = studio::kOpenPoseColours[size_t(i)];
            point(k[size_t(i)], QColor(c[0], c[1], c[2]), w);
        }
        hand(person.hand_left);
        hand(person.hand_right);
        for (const auto& f : person.face) point(f, QColor(255, 255, 255), small);
    }
}

}  // namespace dit::ui
