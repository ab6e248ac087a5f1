#pragma once
// The tool bar at the canvas's left edge, as in Krita and every paint program: one button per
// canvas tool (mask brush, edge brush, region brush, pose), exactly one checked, and the eraser
// toggle, which shows the active brush's eraser state. Keys: B colour brush, I eyedropper, F fill,
// Ctrl+R, J, L the rectangle, ellipse and lasso selections, M mask, D edges, R region, P pose;
// E toggles the eraser (docs/editor.md).
#include <QToolBar>

class QAction;
class QActionGroup;

namespace dit::ui {

class CanvasView;
enum class CanvasTool;

class CanvasToolBar : public QToolBar {
    Q_OBJECT
public:
    explicit CanvasToolBar(CanvasView* canvas, QWidget* parent = nullptr);
    QAction* toolAction(CanvasTool t) const;
    QAction* eraserAction() const { return eraser_; }

signals:
    // The region brush was chosen (the window makes sure a region exists to paint).
    void regionToolRequested();

private:
    void sync();  // checked states from the canvas
    CanvasView* canvas_;
    QActionGroup* group_;
    QAction *paint_, *eyedropper_, *fill_, *select_rect_, *select_ellipse_, *select_lasso_, *mask_, *edges_, *region_, *pose_, *eraser_;
};

}  // namespace dit::ui
