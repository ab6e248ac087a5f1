#include "ui/canvas_view.h"

#include <QDragEnterEvent>
#include <QDropEvent>
#include <QKeyEvent>
#include <QMimeData>
#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>
#include <QTabletEvent>
#include <QWheelEvent>
#include <algorithm>
#include <cmath>

#include "studio/document/flood_fill.h"
#include "studio/document/selection.h"
#include "ui/overlay_colours.h"


namespace dit::ui {

using studio::Document;

namespace {

constexpr double kMinZoom = 1.0 / 16, kMaxZoom = 32;

// A checkerboard behind the canvas, so transparent and black areas read as what they are.
QBrush checker_brush() {
    QPixmap tile(16, 16);
    tile.fill(QColor(58, 58, 60));
    QPainter p(&tile);
    p.fillRect(0, 0, 8, 8, QColor(70, 70, 72));
    p.fillRect(8, 8, 8, 8, QColor(70, 70, 72));
    return QBrush(tile);
}

}  // namespace

CanvasView::CanvasView(QWidget* parent) : QWidget(parent) {
    setAcceptDrops(true);
    setMouseTracking(true);
    setFocusPolicy(Qt::StrongFocus);
    setAttribute(Qt::WA_OpaquePaintEvent);
    setCursor(Qt::CrossCursor);
    setMinimumSize(240, 180);  // the window keeps the canvas however small it gets
    layers_[int(CanvasLayer::Mask)].opacity = 0.6;
    layers_[int(CanvasLayer::Regions)].opacity = 0.4;
    mask_tint_ = default_mask_colour();
    brushes_[0].setSize(32);
    brushes_[1].setSize(3);  // hand-drawn edges are lines, as Canny draws them
    brushes_[1].setHardness(1);
    brushes_[2].setSize(48);
    brushes_[3].setSize(16);
    brushes_[3].setHardness(0.7);
}

void CanvasView::setPaintColour(const QColor& c) {
    if (!c.isValid() || c.toRgb() == colour_brush_.colour()) return;
    colour_brush_.setColour(c);
    update();
    emit paintColourChanged(colour_brush_.colour());
}

quint32 CanvasView::paintLayer() {
    if (doc_->imageLayer(doc_->currentLayer())) return doc_->currentLayer();
    return doc_->addImageLayer(tr("Paint"));  // painting on an empty canvas starts a layer
}

bool CanvasView::pressColourTool(QPointF at, double pressure) {
    if (tool_ == CanvasTool::Eyedropper) {
        // What the user sees: the composite, not the selected layer alone.
        const QPoint p = at.toPoint();
        if (!doc_->image().isNull() && doc_->image().rect().contains(p)) setPaintColour(doc_->image().pixelColor(p));
        return false;
    }
    const Document::PaintTarget target{Document::PaintTarget::Image, 0, paintLayer()};
    if (tool_ == CanvasTool::Fill) {
        const QImage reference = doc_->image();
        QImage& layer = doc_->beginStroke(target);
        const QRect changed = studio::paint_region(layer, studio::fill_region(reference, at.toPoint(), fill_tolerance_),
                                                   colour_brush_.colour(), colour_brush_.opacity());
        doc_->strokeUpdated(changed);
        doc_->endStroke(changed, tr("Fill"));
        emit strokeFinished();
        return false;
    }
    const studio::MaskBrush& shape = brushes_[3];
    colour_brush_.setSize(shape.size());
    colour_brush_.setHardness(shape.hardness());
    colour_brush_.setEraser(shape.eraser());
    QImage& layer = doc_->beginStroke(target);
    stroking_ = true;
    doc_->strokeUpdated(colour_brush_.begin(&layer, at, pressure));
    return true;
}

void CanvasView::setEraser(bool on) {
    if (brush().eraser() == on) return;
    brush().setEraser(on);
    update();
    emit brushChanged();
}

void CanvasView::setBrushHardness(double h) {
    h = std::clamp(h, 0.0, 1.0);
    if (brush().hardness() == h) return;
    brush().setHardness(h);
    update();
    emit brushChanged();
}

void CanvasView::setMaskTint(const QColor& c) {
    mask_tint_ = c;
    rebuildMaskOverlay({});
    update();
}

void CanvasView::setDocument(Document* doc) {
    if (doc_) disconnect(doc_, nullptr, this, nullptr);
    if (stroking_) stroking_ = false;
    doc_ = doc;
    mask_overlay_ = edges_overlay_ = regions_overlay_ = QImage();
    if (doc_) {
        connect(doc_, &Document::layerChanged, this, &CanvasView::onLayerChanged);
        const QSize s = doc_->canvasSize();
        mask_overlay_ = QImage(s, QImage::Format_ARGB32_Premultiplied);
        edges_overlay_ = QImage(s, QImage::Format_ARGB32_Premultiplied);
        rebuildMaskOverlay({});
        rebuildEdgesOverlay({});
        rebuildRegionsOverlay();
    }
    rebuildSelectionOverlay();
    auto_fit_ = true;
    fitToWindow();
}

void CanvasView::setBrushSize(double px) {
    px = std::clamp(px, 1.0, 1000.0);
    if (px == brush().size()) return;
    brush().setSize(px);
    update();
    emit brushSizeChanged(px);
    emit brushChanged();
}

void CanvasView::setActiveRegion(quint32 id) {
    if (id == active_region_) return;
    if (stroking_ && tool_ == CanvasTool::Region) finishStroke();
    active_region_ = id;
}

void CanvasView::setTool(CanvasTool t) {
    if (t == tool_) return;
    if (stroking_) finishStroke();
    if (selecting_) finishSelection();
    tool_ = t;
    setCursor(t == CanvasTool::Pose ? Qt::ArrowCursor : t == CanvasTool::Fill ? Qt::PointingHandCursor : Qt::CrossCursor);
    update();
    emit toolChanged(t);
    emit brushSizeChanged(brush().size());
    emit brushChanged();
}

std::pair<int, int> CanvasView::jointAt(QPointF pos) const {
    if (!doc_) return {-1, -1};
    const double reach = std::max(8.0, 5.0 * zoom_);
    double best = reach * reach;
    std::pair<int, int> hit{-1, -1};
    const auto& people = doc_->people();
    for (int p = 0; p < int(people.size()); ++p)
        for (int j = 0; j < studio::kPosePointCount; ++j) {
            const studio::PosePoint* k = studio::pose_point(people[p], j);
            if (!k) continue;
            const QPointF d = canvasToWidget({k->x, k->y}) - pos;
            const double d2 = d.x() * d.x() + d.y() * d.y();
            if (d2 <= best) {
                best = d2;
                hit = {p, j};
            }
        }
    return hit;
}

void CanvasView::setLayerView(CanvasLayer l, LayerView v) {
    v.opacity = std::clamp(v.opacity, 0.0, 1.0);
    layers_[int(l)] = v;
    update();
}

void CanvasView::setZoom(double z, QPointF anchor) {
    z = std::clamp(z, kMinZoom, kMaxZoom);
    const QPointF c = widgetToCanvas(anchor);
    zoom_ = z;
    offset_ = anchor - c * zoom_;  // the canvas point under the anchor stays put
    auto_fit_ = false;
    update();
    emit zoomChanged(zoom_);
}

void CanvasView::zoomIn() { setZoom(zoom_ * 1.25, rect().center()); }
void CanvasView::zoomOut() { setZoom(zoom_ / 1.25, rect().center()); }

void CanvasView::fitToWindow() {
    if (!doc_ || width() < 2 || height() < 2) return;
    const QSizeF s = doc_->canvasSize();
    const double margin = 24;
    double z = std::min((width() - 2 * margin) / s.width(), (height() - 2 * margin) / s.height());
    // From 2x up, whole steps keep magnified pixels square and crisp.
    z = z >= 2 ? std::floor(z) : std::max(kMinZoom, z);
    zoom_ = std::clamp(z, kMinZoom, kMaxZoom);
    offset_ = QPointF((width() - s.width() * zoom_) / 2, (height() - s.height() * zoom_) / 2);
    auto_fit_ = true;  // follows the window until the user zooms or pans
    update();
    emit zoomChanged(zoom_);
}

void CanvasView::setPreview(const QImage& preview) {
    preview_ = preview;
    preview_unshown_ = !preview.isNull();
    if (preview_unshown_ && !isVisible()) {
        // Nothing will be painted; let the worker go on rather than starve it.
        preview_unshown_ = false;
        emit previewShown();
    }
    update();
}

QRectF CanvasView::canvasRectOnWidget() const {
    if (!doc_) return {};
    return QRectF(offset_, QSizeF(doc_->canvasSize()) * zoom_);
}

void CanvasView::updateCanvasRect(QRect r) {
    if (r.isNull()) {
        update();
        return;
    }
    const QRectF w(canvasToWidget(r.topLeft()), QSizeF(r.size()) * zoom_);
    update(w.toAlignedRect().adjusted(-2, -2, 2, 2));
}

void CanvasView::onLayerChanged(Document::Layer layer, QRect rect, quint32) {
    switch (layer) {
        case Document::Layer::Mask: rebuildMaskOverlay(rect); updateCanvasRect(rect); break;
        case Document::Layer::Edges: rebuildEdgesOverlay(rect); updateCanvasRect(rect); break;
        case Document::Layer::Region: rebuildRegionsOverlay(rect); updateCanvasRect(rect); break;
        case Document::Layer::Regions: rebuildRegionsOverlay(); update(); break;
        case Document::Layer::Selection: rebuildSelectionOverlay(); update(); break;
        case Document::Layer::Image:
        case Document::Layer::PoseBackground:
        case Document::Layer::Pose: update(); break;
        default: break;
    }
}

void CanvasView::rebuildMaskOverlay(QRect rect) {
    if (!doc_ || doc_->mask().isNull()) return;
    tint_gray(doc_->mask(), mask_overlay_, rect.isNull() ? doc_->mask().rect() : rect, mask_tint_, /*hatched=*/true);
}

void CanvasView::rebuildEdgesOverlay(QRect rect) {
    if (!doc_ || doc_->edges().isNull()) return;
    tint_gray(doc_->edges(), edges_overlay_, rect.isNull() ? doc_->edges().rect() : rect, QColor(255, 255, 255));
}

void CanvasView::rebuildRegionsOverlay(QRect rect) {
    if (!doc_ || doc_->regions().empty()) {
        regions_overlay_ = QImage();
        return;
    }
    if (regions_overlay_.size() != doc_->canvasSize()) {
        regions_overlay_ = QImage(doc_->canvasSize(), QImage::Format_ARGB32_Premultiplied);
        rect = {};
    }
    // Only the changed rect is recomposed, so painting a region stays cheap on a big canvas:
    // each region's colour, alpha = its mask, over the ones before it.
    rect = rect.isNull() ? regions_overlay_.rect() : rect.intersected(regions_overlay_.rect());
    for (int y = rect.top(); y <= rect.bottom(); ++y)
        std::fill_n(reinterpret_cast<QRgb*>(regions_overlay_.scanLine(y)) + rect.left(), rect.width(), QRgb(0));
    for (const auto& r : doc_->regions()) {
        if (r.mask.size() != regions_overlay_.size()) continue;
        const int cr = r.colour.red(), cg = r.colour.green(), cb = r.colour.blue();
        for (int y = rect.top(); y <= rect.bottom(); ++y) {
            const uchar* src = r.mask.constScanLine(y);
            auto* dst = reinterpret_cast<QRgb*>(regions_overlay_.scanLine(y));
            for (int x = rect.left(); x <= rect.right(); ++x) {
                const int a = src[x];
                if (!a) continue;
                const QRgb d = dst[x];
                const int k = 255 - a;
                dst[x] = qRgba(cr * a / 255 + qRed(d) * k / 255, cg * a / 255 + qGreen(d) * k / 255,
                               cb * a / 255 + qBlue(d) * k / 255, a + qAlpha(d) * k / 255);
            }
        }
    }
}

void CanvasView::rebuildSelectionOverlay() {
    selection_overlay_ = QImage();
    if (!doc_ || doc_->selection().isNull()) return;
    // Dashes of 4 canvas pixels along the diagonal, black and white, readable on any picture.
    const QImage border = studio::selection_border(doc_->selection());
    selection_overlay_ = QImage(border.size(), QImage::Format_ARGB32_Premultiplied);
    selection_overlay_.fill(Qt::transparent);
    for (int y = 0; y < border.height(); ++y) {
        const uchar* b = border.constScanLine(y);
        auto* out = reinterpret_cast<QRgb*>(selection_overlay_.scanLine(y));
        for (int x = 0; x < border.width(); ++x)
            if (b[x]) out[x] = ((x + y) / 4) % 2 ? qRgba(0, 0, 0, 255) : qRgba(255, 255, 255, 255);
    }
}

void CanvasView::finishSelection() {
    selecting_ = false;
    if (!doc_) return;
    const QSize c = doc_->canvasSize();
    QImage sel;
    if (tool_ == CanvasTool::SelectLasso) {
        sel = studio::lasso_selection(c, select_points_);
    } else if (select_points_.size() >= 2) {
        const QRectF r(select_points_.front(), select_points_.back());
        sel = tool_ == CanvasTool::SelectRect ? studio::rect_selection(c, r) : studio::ellipse_selection(c, r);
    }
    select_points_.clear();
    // A click without a drag selects nothing, as in every editor.
    doc_->setSelection(sel, tool_ == CanvasTool::SelectLasso ? tr("Lasso selection")
                            : tool_ == CanvasTool::SelectRect ? tr("Rectangle selection")
                                                              : tr("Ellipse selection"));
    update();
}

void CanvasView::setCompareImage(const QImage& image) {
    compare_ = image;
    dragging_split_ = false;
    update();
}

void CanvasView::setCompareSplit(double fraction) {
    compare_split_ = std::clamp(fraction, 0.0, 1.0);
    if (!compare_.isNull()) update();
}

void CanvasView::paintEvent(QPaintEvent*) {
    QPainter p(this);
    p.fillRect(rect(), QColor(32, 32, 34));
    if (!doc_) return;
    const QRectF target = canvasRectOnWidget();
    // Magnified pixels stay square; reduced images are smoothed.
    p.setRenderHint(QPainter::SmoothPixmapTransform,
                    zoom_ < 2 && std::abs(zoom_ - std::round(zoom_)) > 1e-9);
    // The checkerboard moves with the canvas, so a pixel's backdrop does not change as the
    // docks around it resize.
    p.setBrushOrigin(target.topLeft());
    p.fillRect(target, checker_brush());
    p.setBrushOrigin(0, 0);

    auto draw_layer = [&](CanvasLayer l, const QImage& img) {
        const LayerView v = layers_[int(l)];
        if (!v.visible || img.isNull() || v.opacity <= 0) return;
        p.setOpacity(v.opacity);
        p.drawImage(target, img, QRectF(img.rect()));
        p.setOpacity(1);
    };
    if (!preview_.isNull()) {
        // The forming image replaces the image layer while a generation runs. A request of
        // another size than the canvas (the result will resize it) keeps its aspect ratio.
        QRectF r = target;
        if (preview_.size() != doc_->canvasSize()) {
            const QSizeF fitted = QSizeF(preview_.size()).scaled(target.size(), Qt::KeepAspectRatio);
            r = QRectF(target.center() - QPointF(fitted.width() / 2, fitted.height() / 2), fitted);
            p.fillRect(target, QColor(32, 32, 34));
        }
        p.drawImage(r, preview_, QRectF(preview_.rect()));
    } else {
        draw_layer(CanvasLayer::Image, doc_->image());
        // The picture to trace, under every overlay and the skeleton; hidden with the pose
        // layer, and while a generation forms (it never goes into one).
        if (layers_[int(CanvasLayer::Pose)].visible) drawPoseBackground(p, target);
    }
    draw_layer(CanvasLayer::Regions, regions_overlay_);
    draw_layer(CanvasLayer::Edges, edges_overlay_);
    draw_layer(CanvasLayer::Mask, mask_overlay_);
    if (!selection_overlay_.isNull()) {
        const bool smooth = p.testRenderHint(QPainter::SmoothPixmapTransform);
        p.setRenderHint(QPainter::SmoothPixmapTransform, false);  // crisp dashes at any zoom
        p.drawImage(target, selection_overlay_, QRectF(selection_overlay_.rect()));
        p.setRenderHint(QPainter::SmoothPixmapTransform, smooth);
    }
    if (selecting_ && !select_points_.isEmpty()) {
        // The shape being drawn, in widget coordinates.
        p.setRenderHint(QPainter::Antialiasing);
        QPolygonF w;
        for (const QPointF& q : select_points_) w << canvasToWidget(q);
        for (int pass = 0; pass < 2; ++pass) {
            p.setPen(QPen(pass ? QColor(255, 255, 255) : QColor(0, 0, 0), 1, pass ? Qt::DashLine : Qt::SolidLine));
            p.setBrush(Qt::NoBrush);
            if (tool_ == CanvasTool::SelectLasso) p.drawPolygon(w);
            else if (tool_ == CanvasTool::SelectRect) p.drawRect(QRectF(w.front(), w.back()));
            else p.drawEllipse(QRectF(w.front(), w.back()));
        }
    }
    if (layers_[int(CanvasLayer::Pose)].visible && !doc_->people().empty()) {
        p.setRenderHint(QPainter::Antialiasing);
        p.setOpacity(layers_[int(CanvasLayer::Pose)].opacity);
        drawPose(p);
        p.setOpacity(1);
    }
    if (!compare_.isNull()) {
        // The result over the right part of the canvas, above every layer, so it reads as
        // "what you would get" against "what you have".
        const double x = target.left() + target.width() * compare_split_;
        p.save();
        p.setClipRect(QRectF(QPointF(x, target.top()), target.bottomRight()));
        p.drawImage(target, compare_, QRectF(compare_.rect()));
        p.restore();
        p.setRenderHint(QPainter::Antialiasing, false);
        p.setPen(QPen(QColor(0, 0, 0, 160), 3));
        p.drawLine(QPointF(x, target.top()), QPointF(x, target.bottom()));
        p.setPen(QPen(QColor(255, 255, 255), 1));
        p.drawLine(QPointF(x, target.top()), QPointF(x, target.bottom()));
    }
    p.setRenderHint(QPainter::Antialiasing, false);
    p.setPen(QPen(QColor(90, 90, 95), 1));
    p.setBrush(Qt::NoBrush);
    p.drawRect(target.adjusted(-1, -1, 0, 0));

    if (cursor_inside_ && !panning_ && !space_held_ && paints(tool_)) drawBrushCursor(p);
    if (preview_unshown_) {
        preview_unshown_ = false;
        emit previewShown();
    }
}

void CanvasView::drawBrushCursor(QPainter& p) {
    // The outline in the colour of what the tool paints (the mask's, the region's, white for
    // edges) at the brush's full size, a dashed ring where its hard core ends, and a minus sign
    // while it erases: the tool is plain from the cursor alone.
    p.setRenderHint(QPainter::Antialiasing);
    const studio::MaskBrush& b = brushes_[brush_index(tool_)];
    QColor colour = tool_ == CanvasTool::Mask ? mask_tint_ : tool_ == CanvasTool::Paint ? colour_brush_.colour() : QColor(255, 255, 255);
    if (tool_ == CanvasTool::Region && doc_)
        if (const studio::Region* r = doc_->region(active_region_)) colour = r->colour;
    const double r = std::max(2.0, b.size() / 2 * zoom_);
    p.setPen(QPen(QColor(0, 0, 0, 170), 3));
    p.drawEllipse(cursor_, r, r);
    p.setPen(QPen(colour, b.eraser() ? 1.5 : 1, b.eraser() ? Qt::DashLine : Qt::SolidLine));
    p.drawEllipse(cursor_, r, r);
    if (b.hardness() < 1) {
        p.setPen(QPen(QColor(255, 255, 255, 110), 1, Qt::DotLine));
        p.drawEllipse(cursor_, r * b.hardness(), r * b.hardness());
    }
    if (b.eraser()) {
        const QPointF at = cursor_ + QPointF(r * 0.75 + 6, -r * 0.75 - 6);
        p.setPen(QPen(QColor(0, 0, 0, 200), 4));
        p.drawLine(at - QPointF(5, 0), at + QPointF(5, 0));
        p.setPen(QPen(QColor(255, 255, 255), 2));
        p.drawLine(at - QPointF(5, 0), at + QPointF(5, 0));
    }
}

void CanvasView::resizeEvent(QResizeEvent*) {
    if (auto_fit_) fitToWindow();
}

void CanvasView::mousePressEvent(QMouseEvent* e) {
    setFocus(Qt::MouseFocusReason);
    if (e->button() == Qt::MiddleButton || (e->button() == Qt::LeftButton && space_held_)) {
        panning_ = true;
        pan_last_ = e->position().toPoint();
        setCursor(Qt::ClosedHandCursor);
        return;
    }
    if (!doc_ || stroking_) return;
    if (!compare_.isNull() && e->button() == Qt::LeftButton) {
        // The split line takes the mouse first: grabbing it must never paint or move a joint.
        const QRectF t = canvasRectOnWidget();
        if (std::abs(e->position().x() - (t.left() + t.width() * compare_split_)) <= 6) {
            dragging_split_ = true;
            setCursor(Qt::SplitHCursor);
            return;
        }
    }
    if (tool_ == CanvasTool::Pose) {
        const auto [person, joint] = jointAt(e->position());
        if (person < 0) return;
        if (e->button() == Qt::RightButton) {
            const bool visible = studio::pose_point(doc_->people()[size_t(person)], joint)->visible();
            doc_->setJointVisible(person, joint, !visible);
        } else if (e->button() == Qt::LeftButton) {
            doc_->sealMerging();  // one drag, one undo step
            drag_joint_ = {person, joint};
        }
        return;
    }
    if (e->button() != Qt::LeftButton) return;
    if (colourTool(tool_)) {
        pressColourTool(widgetToCanvas(e->position()), 1.0);
        return;
    }
    if (selectTool(tool_)) {
        selecting_ = true;
        select_points_ = {widgetToCanvas(e->position())};
        return;
    }
    Document::PaintTarget target{tool_ == CanvasTool::Edges ? Document::PaintTarget::Edges : Document::PaintTarget::Mask};
    if (tool_ == CanvasTool::Region) {
        if (!doc_->region(active_region_)) return;  // no region chosen (or it was removed)
        target = {Document::PaintTarget::Region, active_region_};
    }
    QImage& layer = doc_->beginStroke(target);
    stroking_ = true;
    doc_->strokeUpdated(brush().begin(&layer, widgetToCanvas(e->position())));
}

void CanvasView::mouseMoveEvent(QMouseEvent* e) {
    const QPointF old = cursor_;
    cursor_ = e->position();
    cursor_inside_ = true;
    if (panning_) {
        offset_ += e->position() - QPointF(pan_last_);
        auto_fit_ = false;
        pan_last_ = e->position().toPoint();
        update();
        return;
    }
    if (dragging_split_) {
        const QRectF t = canvasRectOnWidget();
        setCompareSplit(t.width() > 0 ? (e->position().x() - t.left()) / t.width() : 0.5);
        return;
    }
    if (selecting_) {
        const QPointF at = widgetToCanvas(e->position());
        if (tool_ == CanvasTool::SelectLasso) select_points_ << at;
        else if (select_points_.size() < 2) select_points_ << at;
        else select_points_.back() = at;
        update();
        return;
    }
    if (stroking_ && doc_)
        doc_->strokeUpdated(tool_ == CanvasTool::Paint ? colour_brush_.lineTo(widgetToCanvas(e->position()))
                                                       : brush().lineTo(widgetToCanvas(e->position())));
    if (drag_joint_.first >= 0 && doc_) {
        const QSizeF c = doc_->canvasSize();
        QPointF at = widgetToCanvas(e->position());
        at = QPointF(std::clamp(at.x(), 0.0, c.width()), std::clamp(at.y(), 0.0, c.height()));
        doc_->moveJoint(drag_joint_.first, drag_joint_.second, at);
        return;
    }
    if (tool_ == CanvasTool::Pose) return;
    // Repaint where the brush outline (and its eraser mark) was and is.
    const double r = brush().size() / 2 * zoom_ + 16;
    update(QRectF(old - QPointF(r, r), QSizeF(2 * r, 2 * r)).toAlignedRect());
    update(QRectF(cursor_ - QPointF(r, r), QSizeF(2 * r, 2 * r)).toAlignedRect());
}

void CanvasView::mouseReleaseEvent(QMouseEvent* e) {
    if (panning_ && (e->button() == Qt::MiddleButton || e->button() == Qt::LeftButton)) {
        panning_ = false;
        setCursor(space_held_ ? Qt::OpenHandCursor : tool_ == CanvasTool::Pose ? Qt::ArrowCursor : Qt::CrossCursor);
        return;
    }
    if (e->button() == Qt::LeftButton && dragging_split_) {
        dragging_split_ = false;
        setCursor(tool_ == CanvasTool::Pose ? Qt::ArrowCursor : Qt::CrossCursor);
        return;
    }
    if (e->button() == Qt::LeftButton && drag_joint_.first >= 0) {
        drag_joint_ = {-1, -1};
        if (doc_) doc_->sealMerging();
        return;
    }
    if (e->button() == Qt::LeftButton && selecting_) finishSelection();
    if (e->button() == Qt::LeftButton && stroking_) finishStroke();
}

void CanvasView::tabletEvent(QTabletEvent* e) {
    // The pen paints colour with its pressure; for every other tool the event is left to become
    // the mouse event Qt synthesises from it.
    if (!doc_ || tool_ != CanvasTool::Paint || panning_ || space_held_) {
        e->ignore();
        return;
    }
    const QPointF at = widgetToCanvas(e->position());
    cursor_ = e->position();
    switch (e->type()) {
        case QEvent::TabletPress:
            if (e->button() == Qt::LeftButton && !stroking_) pressColourTool(at, e->pressure());
            break;
        case QEvent::TabletMove:
            if (stroking_) doc_->strokeUpdated(colour_brush_.lineTo(at, e->pressure()));
            else update();
            break;
        case QEvent::TabletRelease:
            if (stroking_) finishStroke();
            break;
        default: break;
    }
    e->accept();
}

void CanvasView::finishStroke() {
    stroking_ = false;
    if (!doc_) return;
    if (tool_ == CanvasTool::Paint) {
        const QRect dirty = colour_brush_.end();
        doc_->endStroke(dirty, colour_brush_.eraser() ? tr("Erase paint") : tr("Paint"));
        emit strokeFinished();
        return;
    }
    const QRect dirty = brush().end();
    const bool erase = brush().eraser();
    const QString text = tool_ == CanvasTool::Edges    ? (erase ? tr("Erase edges") : tr("Draw edges"))
                         : tool_ == CanvasTool::Region ? (erase ? tr("Erase region") : tr("Paint region"))
                                                       : (erase ? tr("Erase mask") : tr("Paint mask"));
    doc_->endStroke(dirty, text);
    emit strokeFinished();
}

void CanvasView::wheelEvent(QWheelEvent* e) {
    const QPoint d = e->angleDelta();
    if (e->modifiers() & Qt::ControlModifier) {
        if (d.y() != 0) setZoom(zoom_ * std::pow(1.25, d.y() / 120.0), e->position());
    } else {
        // Shift turns a vertical wheel into horizontal scrolling, as in every image editor.
        QPointF delta = e->modifiers() & Qt::ShiftModifier ? QPointF(d.y(), d.x()) : QPointF(d);
        offset_ += delta / 2;
        auto_fit_ = false;
        update();
    }
    e->accept();
}

void CanvasView::keyPressEvent(QKeyEvent* e) {
    if (e->key() == Qt::Key_Space && !e->isAutoRepeat()) {
        space_held_ = true;
        if (!panning_) setCursor(Qt::OpenHandCursor);
        update();
        return;
    }
    QWidget::keyPressEvent(e);
}

void CanvasView::keyReleaseEvent(QKeyEvent* e) {
    if (e->key() == Qt::Key_Space && !e->isAutoRepeat()) {
        space_held_ = false;
        if (!panning_) setCursor(tool_ == CanvasTool::Pose ? Qt::ArrowCursor : Qt::CrossCursor);
        update();
        return;
    }
    QWidget::keyReleaseEvent(e);
}

void CanvasView::leaveEvent(QEvent*) {
    cursor_inside_ = false;
    update();
}

void CanvasView::dragEnterEvent(QDragEnterEvent* e) {
    if (e->mimeData()->hasImage()) {
        e->acceptProposedAction();
        return;
    }
    if (e->mimeData()->hasUrls()) {
        for (const QUrl& u : e->mimeData()->urls())
            if (u.isLocalFile()) {
                e->acceptProposedAction();
                return;
            }
    }
}

void CanvasView::dropEvent(QDropEvent* e) {
    // A file first: it may carry a result's parameters, which a bare picture does not.
    for (const QUrl& u : e->mimeData()->urls())
        if (u.isLocalFile()) {
            e->acceptProposedAction();
            emit fileDropped(u.toLocalFile());
            return;
        }
    if (e->mimeData()->hasImage()) {
        e->acceptProposedAction();
        emit imageDropped(qvariant_cast<QImage>(e->mimeData()->imageData()));
    }
}

}  // namespace dit::ui
