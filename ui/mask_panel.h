#pragma once
// Mask options (the mask brush's page of the tool options dock): the whole-mask operations
// (fill, clear, invert, grow / shrink / feather by N pixels), each one undo step on the
// document, and the overlay colour the mask is shown in. The brush itself is in BrushOptions.
#include <QPointer>
#include <QWidget>

#include "studio/document/document.h"

class QPushButton;
class QSpinBox;

namespace dit::ui {

class CanvasView;

class MaskPanel : public QWidget {
    Q_OBJECT
public:
    explicit MaskPanel(CanvasView* canvas, QWidget* parent = nullptr);
    void setDocument(dit::studio::Document* doc) { doc_ = doc; }
    QPushButton* colourButton() const { return colour_; }
    // Refreshes the colour button's swatch (the colour is the canvas's mask tint).
    void updateColour();

signals:
    // The user asked for another mask colour (the window checks it against the regions').
    void colourRequested();

private:
    CanvasView* canvas_;
    QPointer<dit::studio::Document> doc_;
    QSpinBox* amount_;
    QPushButton* colour_;
};

}  // namespace dit::ui
