#pragma once
// The colour brush for image layers (Format_RGBA8888, straight alpha), as paint programs model
// it: a stroke is a chain of round dabs `spacing` x size apart; each dab adds `flow` x its
// hardness falloff to the stroke's own coverage, which climbs towards `opacity` and never past
// it, however often dabs overlap; the layer then shows the stroke's colour over the pixels it
// had when the stroke began, at that coverage. So opacity caps a stroke and flow sets how fast
// overlapping dabs build up to it. The eraser takes alpha away by the same coverage.
//
// Tablet pressure (0..1) scales the dab's size and/or its opacity cap, each when enabled.
#include <QColor>
#include <QImage>
#include <QPointF>
#include <QRect>
#include <algorithm>
#include <vector>

namespace dit::studio {

class ColourBrush {
public:
    void setSize(double diameter_px) { size_ = std::max(1.0, diameter_px); }
    double size() const { return size_; }
    // 1: a hard disc; 0: coverage falls off smoothly from the centre to the rim (MaskBrush's).
    void setHardness(double h) { hardness_ = std::clamp(h, 0.0, 1.0); }
    double hardness() const { return hardness_; }
    void setOpacity(double o) { opacity_ = std::clamp(o, 0.0, 1.0); }
    double opacity() const { return opacity_; }
    void setFlow(double f) { flow_ = std::clamp(f, 0.01, 1.0); }
    double flow() const { return flow_; }
    void setColour(const QColor& c) { colour_ = c.toRgb(); }
    QColor colour() const { return colour_; }
    void setEraser(bool erase) { erase_ = erase; }
    bool eraser() const { return erase_; }
    // Dab spacing as a fraction of the (pressure-scaled) size, at least one pixel.
    void setSpacing(double fraction) { spacing_ = std::clamp(fraction, 0.01, 10.0); }
    double spacing() const { return spacing_; }
    void setPressureSize(bool on) { pressure_size_ = on; }
    void setPressureOpacity(bool on) { pressure_opacity_ = on; }
    bool pressureSize() const { return pressure_size_; }
    bool pressureOpacity() const { return pressure_opacity_; }

    // The dab's diameter and opacity cap at a pressure.
    double sizeAt(double pressure) const;
    double opacityAt(double pressure) const;

    // A stroke on `target` (kept by pointer until end()). Each call returns the rect it changed.
    QRect begin(QImage* target, QPointF p, double pressure = 1);
    // Dabs along the segment to `p`; the pressure is interpolated from the last point's.
    QRect lineTo(QPointF p, double pressure = 1);
    // One more dab at `p` within the stroke (a click held still, or a test).
    QRect dabAt(QPointF p, double pressure = 1);
    QRect end();
    int dabsLaid() const { return dabs_; }

private:
    double size_ = 16, hardness_ = 0.7, opacity_ = 1, flow_ = 1, spacing_ = 0.1;
    QColor colour_ = Qt::black;
    bool erase_ = false, pressure_size_ = true, pressure_opacity_ = false;
    QImage* target_ = nullptr;
    QImage before_;                // the layer as the stroke found it
    std::vector<float> coverage_;  // the stroke's coverage per pixel, 0..opacity
    QPointF last_;
    double last_pressure_ = 1, carry_ = 0;
    int dabs_ = 0;
    QRect dirty_;
};

}  // namespace dit::studio
