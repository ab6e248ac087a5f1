#pragma once
// The canvas: the document's layers painted with zoom and pan, the mask and the regions as
// tinted overlays, the pose background (a picture to trace) under the skeleton, the live preview
// of a running generation on top, and painting with the MaskBrush (mask, edges, a region).
// A brush stroke writes straight into the mask for live feedback and becomes one undo command
// when the mouse is released (Document::beginStroke / endStroke).
//
// Each brush tool (mask, edges, region) has its own brush: its own size, hardness and eraser
// state, so the edge brush stays thin and never erases because the mask brush was erasing.
//
// Navigation: Ctrl+wheel zooms about the cursor, the wheel scrolls, space+drag or the middle
// button pans. Dropped files and pictures are handed to the window (fileDropped, imageDropped).
#include <QImage>
#include <QPointer>
#include <QPolygonF>
#include <QWidget>
#include <algorithm>
#include <array>

#include "studio/document/colour_brush.h"
#include "studio/document/document.h"
#include "studio/document/mask_brush.h"

namespace dit::ui {

enum class CanvasLayer { Image, Mask, Pose, Edges, Regions };
// What the left mouse button does: paint the mask, paint the edge map, drag pose joints (right
// click on a joint deletes or restores it), paint the active region's mask; or, on the selected
// image layer: paint colour (ColourBrush; the eraser takes alpha away), pick a colour from the
// composite (eyedropper), or bucket-fill the area of like colour.
// The selection tools drag a rectangle or an ellipse, or draw a freehand lasso (Select menu).
enum class CanvasTool { Mask, Edges, Pose, Region, Paint, Eyedropper, Fill, SelectRect, SelectEllipse, SelectLasso };
constexpr int kCanvasLayers = 5;

struct LayerView {
    bool visible = true;
    double opacity = 1.0;  // 0..1
};

class CanvasView : public QWidget {
    Q_OBJECT
public:
    explicit CanvasView(QWidget* parent = nullptr);

    void setDocument(dit::studio::Document* doc);
    dit::studio::Document* document() const { return doc_; }

    // The active tool's brush (the mask brush while the pose tool is active).
    studio::MaskBrush& brush() { return brushes_[brush_index(tool_)]; }
    studio::MaskBrush& brush(CanvasTool t) { return brushes_[brush_index(t)]; }
    // Changes of the active brush go through these, so the tool bar and options follow.
    void setEraser(bool on);
    void setBrushHardness(double h);
    static bool paints(CanvasTool t) {
        return t == CanvasTool::Mask || t == CanvasTool::Edges || t == CanvasTool::Region || t == CanvasTool::Paint;
    }
    // The tools that work on the selected image layer (colour, not control maps).
    static bool colourTool(CanvasTool t) { return t == CanvasTool::Paint || t == CanvasTool::Eyedropper || t == CanvasTool::Fill; }
    static bool selectTool(CanvasTool t) {
        return t == CanvasTool::SelectRect || t == CanvasTool::SelectEllipse || t == CanvasTool::SelectLasso;
    }
    // The colour brush's own settings (its size, hardness and eraser are brush(Paint)'s).
    studio::ColourBrush& colourBrush() { return colour_brush_; }
    QColor paintColour() const { return colour_brush_.colour(); }
    void setPaintColour(const QColor& c);
    int fillTolerance() const { return fill_tolerance_; }
    void setFillTolerance(int t) { fill_tolerance_ = std::clamp(t, 0, 255); }
    CanvasTool tool() const { return tool_; }
    bool isStroking() const { return stroking_; }
    void setTool(CanvasTool t);
    // The joint under a widget point (within a few screen pixels), as {person, joint}; {-1, -1}.
    std::pair<int, int> jointAt(QPointF widget_pos) const;
    void setBrushSize(double px);  // clamped to [1, 1000], repaints the cursor
    // The region the Region tool paints into (0: none; the tool then paints nothing).
    quint32 activeRegion() const { return active_region_; }
    void setActiveRegion(quint32 id);

    LayerView layerView(CanvasLayer l) const { return layers_[int(l)]; }
    void setLayerView(CanvasLayer l, LayerView v);
    QColor maskTint() const { return mask_tint_; }
    void setMaskTint(const QColor& c);

    // Zoom is screen pixels per canvas pixel.
    double zoom() const { return zoom_; }
    void setZoom(double z, QPointF anchor_widget);
    void zoomIn();
    void zoomOut();
    void fitToWindow();
    QPointF canvasToWidget(QPointF p) const { return offset_ + p * zoom_; }
    QPointF widgetToCanvas(QPointF p) const { return (p - offset_) / zoom_; }

    // The running generation's preview, drawn over the canvas scaled to it; null clears it.
    void setPreview(const QImage& preview);
    bool hasPreview() const { return !preview_.isNull(); }

    // Compare with the canvas: `image` (a history result) is drawn right of a vertical split
    // line the user drags, the canvas left of it. Only the view changes, never the document.
    // A null image ends the comparison. `split` is a fraction of the canvas width.
    void setCompareImage(const QImage& image);
    bool isComparing() const { return !compare_.isNull(); }
    double compareSplit() const { return compare_split_; }
    void setCompareSplit(double fraction);

    QSize sizeHint() const override { return {800, 600}; }

signals:
    // A preview handed to setPreview() has been painted (or will not be: the view is hidden);
    // the worker may send the next one.
    void previewShown();
    void fileDropped(const QString& path);
    void imageDropped(const QImage& image);
    void zoomChanged(double zoom);
    void brushSizeChanged(double px);
    // The active brush's size, hardness or eraser state changed, or the tool did.
    void brushChanged();
    void strokeFinished();
    void toolChanged(dit::ui::CanvasTool tool);
    // The paint colour changed (the picker, the eyedropper).
    void paintColourChanged(const QColor& colour);

protected:
    void paintEvent(QPaintEvent*) override;
    void resizeEvent(QResizeEvent*) override;
    void mousePressEvent(QMouseEvent*) override;
    void mouseMoveEvent(QMouseEvent*) override;
    void mouseReleaseEvent(QMouseEvent*) override;
    void tabletEvent(QTabletEvent*) override;
    void wheelEvent(QWheelEvent*) override;
    void keyPressEvent(QKeyEvent*) override;
    void keyReleaseEvent(QKeyEvent*) override;
    void leaveEvent(QEvent*) override;
    void dragEnterEvent(QDragEnterEvent*) override;
    void dropEvent(QDropEvent*) override;

private:
    void onLayerChanged(dit::studio::Document::Layer layer, QRect rect, quint32 region_id);
    void rebuildMaskOverlay(QRect rect);
    void rebuildEdgesOverlay(QRect rect);
    void rebuildRegionsOverlay(QRect rect = {});
    void rebuildSelectionOverlay();
    void finishSelection();
    void updateCanvasRect(QRect canvas_rect);
    void drawPose(QPainter& p) const;                               // canvas_pose.cpp
    void drawPoseBackground(QPainter& p, const QRectF& target) const;  // canvas_pose.cpp
    void finishStroke();
    QRectF canvasRectOnWidget() const;
    void drawBrushCursor(QPainter& p);
    static int brush_index(CanvasTool t) {
        return t == CanvasTool::Edges ? 1 : t == CanvasTool::Region ? 2 : colourTool(t) ? 3 : 0;
    }
    // Colour tools at a canvas point (the press of the mouse or pen): false when nothing began.
    bool pressColourTool(QPointF at, double pressure);
    quint32 paintLayer();  // the selected image layer; a new one when there is none

    QPointer<dit::studio::Document> doc_;
    std::array<studio::MaskBrush, 4> brushes_;  // mask, edges, region, colour (size, hardness, eraser)
    studio::ColourBrush colour_brush_;
    int fill_tolerance_ = 32;
    std::array<LayerView, kCanvasLayers> layers_{};
    QColor mask_tint_;
    QImage mask_overlay_, edges_overlay_, regions_overlay_;  // ARGB32_Premultiplied, canvas size
    QImage preview_;
    QImage selection_overlay_;  // the selection's border as black and white dashes
    QPolygonF select_points_;   // canvas points of the selection being drawn
    bool selecting_ = false;
    QImage compare_;
    double compare_split_ = 0.5;
    bool dragging_split_ = false;
    bool preview_unshown_ = false;

    double zoom_ = 1.0;
    QPointF offset_;
    bool auto_fit_ = true;
    bool space_held_ = false;
    bool panning_ = false;
    QPoint pan_last_;
    bool stroking_ = false;
    CanvasTool tool_ = CanvasTool::Mask;
    quint32 active_region_ = 0;
    std::pair<int, int> drag_joint_{-1, -1};
    QPointF cursor_;
    bool cursor_inside_ = false;
};

}  // namespace dit::ui
