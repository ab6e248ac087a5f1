#pragma once
// Mask tools dock: brush or eraser, size and hardness, and the whole-mask operations (fill,
// clear, invert, grow / shrink / feather by N pixels), each one undo step on the document.
#include <QPointer>
#include <QWidget>

#include "studio/document/document.h"

class QRadioButton;
class QSpinBox;
class QSlider;

namespace dit::ui {

class CanvasView;

class MaskPanel : public QWidget {
    Q_OBJECT
public:
    explicit MaskPanel(CanvasView* canvas, QWidget* parent = nullptr);
    void setDocument(dit::studio::Document* doc) { doc_ = doc; }

    QRadioButton* brushButton() const { return brush_; }
    QRadioButton* eraserButton() const { return eraser_; }
    QSpinBox* sizeSpin() const { return size_; }
    QSlider* hardnessSlider() const { return hardness_; }

private:
    CanvasView* canvas_;
    QPointer<dit::studio::Document> doc_;
    QRadioButton *brush_, *eraser_;
    QSpinBox* size_;
    QSlider* hardness_;
    QSpinBox* amount_;
};

}  // namespace dit::ui
