#pragma once
// Image › Extend canvas…: how many pixels to add on each side, or the sides that reach an aspect
// ratio. The result is an outpainting set-up (studio/document/extend_canvas.h).
#include <QDialog>

#include "studio/document/extend_canvas.h"

class QComboBox;
class QLabel;
class QSpinBox;

namespace dit::ui {

class ExtendCanvasDialog : public QDialog {
    Q_OBJECT
public:
    ExtendCanvasDialog(QSize canvas, QWidget* parent = nullptr);
    dit::Outpaint outpaint() const;
    QSpinBox* side(int i) const { return sides_[i]; }  // left, right, top, bottom

private:
    void updateSize();
    QSize canvas_;
    QSpinBox* sides_[4];
    QComboBox* aspect_;
    QLabel* size_;
};

}  // namespace dit::ui
