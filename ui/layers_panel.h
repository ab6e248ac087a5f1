#pragma once
// Layers dock: the document's image layer stack (top of the list = top of the stack) with add,
// duplicate, delete, move up/down, rename (double-click), visibility (the check box), opacity and
// blend mode, each an undoable document edit; whether results land as a new layer or replace the
// selected one; then the control layers drawn above the picture (mask overlay, pose, edges,
// regions), whose visibility and opacity are view settings, not edits, so not on the undo stack.
#include <QPointer>
#include <QWidget>

#include "ui/canvas_view.h"

class QCheckBox;
class QComboBox;
class QListWidget;
class QListWidgetItem;
class QSlider;
class QToolButton;

namespace dit::ui {

class LayersPanel : public QWidget {
    Q_OBJECT
public:
    explicit LayersPanel(CanvasView* canvas, QWidget* parent = nullptr);
    void setDocument(studio::Document* doc);

    QCheckBox* visibleBox(CanvasLayer l) const { return visible_[int(l)]; }
    QSlider* opacitySlider(CanvasLayer l) const { return opacity_[int(l)]; }
    QListWidget* imageLayerList() const { return list_; }
    QSlider* imageOpacitySlider() const { return image_opacity_; }
    QComboBox* blendCombo() const { return blend_; }
    QToolButton* addButton() const { return add_; }
    QToolButton* duplicateButton() const { return duplicate_; }
    QToolButton* deleteButton() const { return delete_; }
    QToolButton* upButton() const { return up_; }
    QToolButton* downButton() const { return down_; }
    // Results land as a new layer (checked, the default) or replace the selected layer; kept in
    // the settings (results/as_new_layer).
    QCheckBox* resultsAsLayersBox() const { return results_as_layers_; }
    bool resultsAsNewLayers() const;

private:
    void push(CanvasLayer l);
    void rebuild();  // the list and the selected layer's controls from the document
    quint32 selectedId() const;
    CanvasView* canvas_;
    QPointer<studio::Document> doc_;
    QListWidget* list_;
    QSlider* image_opacity_;
    QComboBox* blend_;
    QToolButton *add_, *duplicate_, *delete_, *up_, *down_;
    QCheckBox* results_as_layers_;
    bool rebuilding_ = false;
    QCheckBox* visible_[kCanvasLayers] = {};
    QSlider* opacity_[kCanvasLayers] = {};
};

}  // namespace dit::ui
