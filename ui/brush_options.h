#pragma once
// The active brush's options, at the top of the tool options dock: which brush it is, paint or
// erase, size and hardness. It always shows the brush the canvas paints with now, so the eraser
// state is visible wherever it applies (mask, edges, region), never only in the mask's panel.
#include <QWidget>

class QLabel;
class QRadioButton;
class QSlider;
class QSpinBox;

namespace dit::ui {

class CanvasView;

class BrushOptions : public QWidget {
    Q_OBJECT
public:
    explicit BrushOptions(CanvasView* canvas, QWidget* parent = nullptr);

    QLabel* titleLabel() const { return title_; }
    QRadioButton* paintButton() const { return paint_; }
    QRadioButton* eraserButton() const { return eraser_; }
    QSpinBox* sizeSpin() const { return size_; }
    QSlider* hardnessSlider() const { return hardness_; }

private:
    void pull();  // from the canvas's active brush
    CanvasView* canvas_;
    QLabel* title_;
    QRadioButton *paint_, *eraser_;
    QSpinBox* size_;
    QSlider* hardness_;
};

// "Mask brush", "Edge eraser", ... for the tool bar, the status bar and the options' title.
QString brush_tool_name(CanvasView* canvas);

}  // namespace dit::ui
