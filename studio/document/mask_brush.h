#pragma once
// A round brush for 8-bit layers (mask, edges, region masks): paint or erase, size and hardness.
// A stroke is a chain of dabs spaced a fraction of the size apart along the input points, so a
// fast mouse leaves a continuous line. Dabs combine by max (paint) / min (erase), so overlapping
// dabs never build up beyond one dab's value and the result does not depend on the spacing.
#include <QImage>
#include <QPointF>
#include <QRect>
#include <algorithm>

namespace dit::studio {

class MaskBrush {
public:
    void setSize(double diameter_px) { size_ = std::max(1.0, diameter_px); }
    double size() const { return size_; }
    // 1: a hard disc; 0: the value falls off smoothly from the centre to the rim.
    void setHardness(double h) { hardness_ = std::clamp(h, 0.0, 1.0); }
    double hardness() const { return hardness_; }
    void setEraser(bool erase) { erase_ = erase; }
    bool eraser() const { return erase_; }
    // Paint value (255 for masks); erasing always goes to 0.
    void setValue(int v) { value_ = std::clamp(v, 0, 255); }
    // Dab spacing as a fraction of the size (default 0.1), at least one pixel.
    void setSpacing(double fraction) { spacing_ = std::clamp(fraction, 0.01, 10.0); }

    // Coverage of a pixel whose centre is `d` diameters/2 from the dab centre (d in [0, inf)).
    double coverage(double d) const;

    // A stroke on `target` (Format_Grayscale8, kept by pointer until end()): begin() lays the
    // first dab; each lineTo() the dabs up to the new point. Each returns the rect it changed.
    QRect begin(QImage* target, QPointF p);
    QRect lineTo(QPointF p);
    // The union of everything this stroke changed, clipped to the target.
    QRect end();
    QRect dirtyRect() const { return dirty_; }

    // One dab, outside a stroke.
    QRect dab(QImage& target, QPointF centre) const;

private:
    double size_ = 20, hardness_ = 0.5, spacing_ = 0.1;
    int value_ = 255;
    bool erase_ = false;
    QImage* target_ = nullptr;
    QPointF last_;
    double carry_ = 0;  // distance walked since the last dab
    QRect dirty_;
};

}  // namespace dit::studio
