#pragma once
// The colour tools' options (brush, eyedropper, fill), in the tool options dock below the brush's
// size and hardness: the paint colour (a swatch that opens QColorDialog), the recent colours (the
// last eight used, kept in the settings: paint/recent_colours), the brush's opacity and flow,
// which of size and opacity follow a tablet pen's pressure, and the fill's tolerance.
#include <QColor>
#include <QList>
#include <QWidget>

class QCheckBox;
class QSlider;
class QSpinBox;
class QToolButton;

namespace dit::ui {

class CanvasView;

class ColourOptions : public QWidget {
    Q_OBJECT
public:
    explicit ColourOptions(CanvasView* canvas, QWidget* parent = nullptr);
    QToolButton* colourButton() const { return colour_; }
    QList<QColor> recentColours() const { return recent_; }
    QList<QToolButton*> recentButtons() const { return recent_buttons_; }
    QSlider* opacitySlider() const { return opacity_; }
    QSlider* flowSlider() const { return flow_; }
    QCheckBox* pressureSizeBox() const { return pressure_size_; }
    QCheckBox* pressureOpacityBox() const { return pressure_opacity_; }
    QSpinBox* toleranceSpin() const { return tolerance_; }
    // The colour to the front of the recent list (as a stroke or a pick does).
    void remember(const QColor& c);

private:
    void showColours();
    CanvasView* canvas_;
    QToolButton* colour_;
    QList<QColor> recent_;
    QList<QToolButton*> recent_buttons_;
    QSlider *opacity_, *flow_;
    QCheckBox *pressure_size_, *pressure_opacity_;
    QSpinBox* tolerance_;
};

}  // namespace dit::ui
