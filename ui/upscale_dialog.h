#pragma once
// Edit › Upscale and refine…: the scale, the refinement's strength and its tiles. The run is a
// job of the generation worker (progress over tiles x steps, previews, cancel) whose result lands
// in the gallery and on the canvas like any other.
#include <QDialog>

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QSpinBox;

namespace dit::ui {

class UpscaleDialog : public QDialog {
    Q_OBJECT
public:
    // `canvas`: the picture's size; `native`: the model's tile size.
    UpscaleDialog(QSize canvas, int native, QWidget* parent = nullptr);
    double scale() const;
    double strength() const;
    int tile() const;
    int overlap() const;
    QSize outputSize() const;

private:
    QSize canvas_;
    QComboBox* scale_;
    QDoubleSpinBox* strength_;
    QSpinBox *tile_, *overlap_;
    QLabel* size_;
};

}  // namespace dit::ui
