#pragma once
// Layers dock: visibility and opacity of each canvas layer (image, mask overlay, pose, edges,
// regions). These are view settings, not document edits, so they are not on the undo stack.
#include <QWidget>

#include "ui/canvas_view.h"

class QCheckBox;
class QSlider;

namespace dit::ui {

class LayersPanel : public QWidget {
    Q_OBJECT
public:
    explicit LayersPanel(CanvasView* canvas, QWidget* parent = nullptr);
    QCheckBox* visibleBox(CanvasLayer l) const { return visible_[int(l)]; }
    QSlider* opacitySlider(CanvasLayer l) const { return opacity_[int(l)]; }

private:
    void push(CanvasLayer l);
    CanvasView* canvas_;
    QCheckBox* visible_[kCanvasLayers] = {};
    QSlider* opacity_[kCanvasLayers] = {};
};

}  // namespace dit::ui
