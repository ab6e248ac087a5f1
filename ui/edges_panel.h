#pragma once
// Edges dock: Canny edges of the image layer (OpenCV, ControlNet's annotator) with low/high
// thresholds, re-run live as the thresholds change; the edge brush draws and erases by hand on
// the canvas; invert and clear. Each change of the edge map is one undo step.
#include <QPointer>
#include <QTimer>
#include <QWidget>

#include "studio/document/document.h"

class QCheckBox;
class QPushButton;
class QSlider;

namespace dit::ui {

class CanvasView;

class EdgesPanel : public QWidget {
    Q_OBJECT
public:
    explicit EdgesPanel(CanvasView* canvas, QWidget* parent = nullptr);
    void setDocument(dit::studio::Document* doc) { doc_ = doc; }
    bool detect();  // Canny of the image layer into the edge map; false (with a message) without one

signals:
    void message(const QString& text, bool error);

private:
    void replaceEdges(const QImage& edges, const QString& text);
    CanvasView* canvas_;
    QPointer<dit::studio::Document> doc_;
    QSlider *low_, *high_;
    QCheckBox* live_;
    QPushButton* brush_;
    QTimer debounce_;
};

}  // namespace dit::ui
