#include "ui/tool_bar.h"

#include <QAction>
#include <QActionGroup>
#include <QPainter>
#include <QPainterPath>

#include "ui/canvas_view.h"

namespace dit::ui {

namespace {

// Small line drawings, so the bar needs no image files and follows the theme's colours.
QIcon tool_icon(CanvasTool t, bool eraser = false) {
    QPixmap pm(32, 32);
    pm.fill(Qt::transparent);
    QPainter p(&pm);
    p.setRenderHint(QPainter::Antialiasing);
    p.setPen(QPen(QColor(225, 225, 225), 2, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin));
    if (eraser) {
        p.setBrush(QColor(120, 200, 255, 90));
        p.drawRoundedRect(QRectF(7, 11, 18, 11), 2, 2);
        p.drawLine(QPointF(16, 11), QPointF(16, 22));
        return QIcon(pm);
    }
    switch (t) {
        case CanvasTool::Mask:
            p.setBrush(QColor(0, 210, 255, 140));
            p.drawEllipse(QPointF(16, 16), 10, 10);
            break;
        case CanvasTool::Edges: {
            QPainterPath path(QPointF(5, 24));
            path.cubicTo(QPointF(11, 4), QPointF(20, 28), QPointF(27, 8));
            p.drawPath(path);
            break;
        }
        case CanvasTool::Region:
            p.setBrush(QColor(255, 80, 80, 140));
            p.drawRoundedRect(QRectF(5, 7, 22, 18), 6, 6);
            p.drawText(QRectF(5, 7, 22, 18), Qt::AlignCenter, QStringLiteral("R"));
            break;
        case CanvasTool::Pose:
            p.drawEllipse(QPointF(16, 7), 3, 3);
            p.drawLine(QPointF(16, 10), QPointF(16, 20));
            p.drawLine(QPointF(8, 14), QPointF(24, 14));
            p.drawLine(QPointF(16, 20), QPointF(10, 28));
            p.drawLine(QPointF(16, 20), QPointF(22, 28));
            break;
        case CanvasTool::Paint: {
            p.setBrush(QColor(240, 170, 60));
            QPainterPath tip(QPointF(6, 27));
            tip.lineTo(QPointF(11, 19));
            tip.lineTo(QPointF(14, 22));
            tip.closeSubpath();
            p.drawPath(tip);
            p.drawLine(QPointF(12, 20), QPointF(26, 6));
            break;
        }
        case CanvasTool::Eyedropper:
            p.drawLine(QPointF(7, 25), QPointF(19, 13));
            p.setBrush(QColor(225, 225, 225));
            p.drawEllipse(QPointF(22, 10), 4, 4);
            break;
        case CanvasTool::SelectRect:
            p.setPen(QPen(QColor(225, 225, 225), 2, Qt::DashLine));
            p.drawRect(QRectF(6, 8, 20, 16));
            break;
        case CanvasTool::SelectEllipse:
            p.setPen(QPen(QColor(225, 225, 225), 2, Qt::DashLine));
            p.drawEllipse(QRectF(5, 8, 22, 16));
            break;
        case CanvasTool::SelectLasso: {
            p.setPen(QPen(QColor(225, 225, 225), 2, Qt::DashLine));
            QPainterPath lasso(QPointF(8, 22));
            lasso.cubicTo(QPointF(2, 8), QPointF(26, 2), QPointF(26, 14));
            lasso.cubicTo(QPointF(26, 24), QPointF(14, 24), QPointF(8, 22));
            p.drawPath(lasso);
            break;
        }
        case CanvasTool::Fill:
            p.setBrush(QColor(80, 160, 255, 160));
            p.drawPolygon(QPolygonF({QPointF(6, 14), QPointF(16, 4), QPointF(26, 14), QPointF(16, 24)}));
            p.drawEllipse(QPointF(26, 24), 2, 3);
            break;
    }
    return QIcon(pm);
}

}  // namespace

CanvasToolBar::CanvasToolBar(CanvasView* canvas, QWidget* parent) : QToolBar(tr("Tools"), parent), canvas_(canvas) {
    setObjectName(QStringLiteral("ToolsBar"));
    setOrientation(Qt::Vertical);
    setToolButtonStyle(Qt::ToolButtonTextUnderIcon);
    setIconSize({28, 28});
    setMovable(false);
    // The checked tool must be unmistakable: a filled accent, not a slightly darker button.
    setStyleSheet(QStringLiteral(
        "QToolButton { min-width: 54px; padding: 3px; border-radius: 4px; }"
        "QToolButton:checked { background: #2a82da; color: white; font-weight: bold; }"
        "QToolButton:hover:!checked { background: #3a3a3e; }"));
    group_ = new QActionGroup(this);
    group_->setExclusive(true);
    auto tool = [this](CanvasTool t, const QString& text, const QString& tip, const QList<QKeySequence>& keys) {
        auto* a = new QAction(tool_icon(t), text, this);
        a->setCheckable(true);
        a->setShortcuts(keys);
        a->setShortcutContext(Qt::WindowShortcut);
        a->setToolTip(QStringLiteral("%1 (%2)").arg(tip, keys.front().toString(QKeySequence::NativeText)));
        group_->addAction(a);
        addAction(a);
        return a;
    };
    // Krita's keys where they do not clash: B brush, E eraser, I the colour sampler (P is the
    // pose tool here), F fill.
    paint_ = tool(CanvasTool::Paint, tr("Brush"), tr("Colour brush: paint on the selected image layer"), {QKeySequence(Qt::Key_B)});
    eyedropper_ = tool(CanvasTool::Eyedropper, tr("Pick"), tr("Eyedropper: take the paint colour from the picture"),
                       {QKeySequence(Qt::Key_I)});
    fill_ = tool(CanvasTool::Fill, tr("Fill"), tr("Fill: paint the area of like colour on the selected image layer"),
                 {QKeySequence(Qt::Key_F)});
    addSeparator();
    // Krita's Ctrl+R for the rectangle; J and L (free here) for the ellipse and the lasso.
    select_rect_ = tool(CanvasTool::SelectRect, tr("Rect"), tr("Rectangle selection"), {QKeySequence(Qt::CTRL | Qt::Key_R)});
    select_ellipse_ = tool(CanvasTool::SelectEllipse, tr("Ellipse"), tr("Ellipse selection"), {QKeySequence(Qt::Key_J)});
    select_lasso_ = tool(CanvasTool::SelectLasso, tr("Lasso"), tr("Freehand lasso selection"), {QKeySequence(Qt::Key_L)});
    addSeparator();
    mask_ = tool(CanvasTool::Mask, tr("Mask"), tr("Mask brush: paint where inpainting regenerates"), {QKeySequence(Qt::Key_M)});
    edges_ = tool(CanvasTool::Edges, tr("Edges"), tr("Edge brush: draw lines for the edge control"), {QKeySequence(Qt::Key_D)});
    region_ = tool(CanvasTool::Region, tr("Region"), tr("Region brush: paint where the selected regional prompt applies"),
                   {QKeySequence(Qt::Key_R)});
    pose_ = tool(CanvasTool::Pose, tr("Pose"), tr("Pose: drag joints; right-click hides or shows one"), {QKeySequence(Qt::Key_P)});
    addSeparator();
    eraser_ = new QAction(tool_icon(CanvasTool::Mask, true), tr("Eraser"), this);
    eraser_->setCheckable(true);
    eraser_->setShortcut(QKeySequence(Qt::Key_E));
    eraser_->setShortcutContext(Qt::WindowShortcut);
    eraser_->setToolTip(tr("Eraser for the active brush (E); each brush keeps its own"));
    addAction(eraser_);

    connect(mask_, &QAction::triggered, this, [this] { canvas_->setTool(CanvasTool::Mask); });
    connect(paint_, &QAction::triggered, this, [this] { canvas_->setTool(CanvasTool::Paint); });
    connect(eyedropper_, &QAction::triggered, this, [this] { canvas_->setTool(CanvasTool::Eyedropper); });
    connect(fill_, &QAction::triggered, this, [this] { canvas_->setTool(CanvasTool::Fill); });
    connect(select_rect_, &QAction::triggered, this, [this] { canvas_->setTool(CanvasTool::SelectRect); });
    connect(select_ellipse_, &QAction::triggered, this, [this] { canvas_->setTool(CanvasTool::SelectEllipse); });
    connect(select_lasso_, &QAction::triggered, this, [this] { canvas_->setTool(CanvasTool::SelectLasso); });
    connect(edges_, &QAction::triggered, this, [this] { canvas_->setTool(CanvasTool::Edges); });
    connect(pose_, &QAction::triggered, this, [this] { canvas_->setTool(CanvasTool::Pose); });
    connect(region_, &QAction::triggered, this, [this] {
        emit regionToolRequested();
        sync();  // refused when there is no region to paint
    });
    connect(eraser_, &QAction::triggered, this, [this](bool on) { canvas_->setEraser(on); });
    connect(canvas_, &CanvasView::toolChanged, this, &CanvasToolBar::sync);
    connect(canvas_, &CanvasView::brushChanged, this, &CanvasToolBar::sync);
    sync();
}

QAction* CanvasToolBar::toolAction(CanvasTool t) const {
    switch (t) {
        case CanvasTool::Mask: return mask_;
        case CanvasTool::Edges: return edges_;
        case CanvasTool::Region: return region_;
        case CanvasTool::Pose: return pose_;
        case CanvasTool::Paint: return paint_;
        case CanvasTool::Eyedropper: return eyedropper_;
        case CanvasTool::Fill: return fill_;
        case CanvasTool::SelectRect: return select_rect_;
        case CanvasTool::SelectEllipse: return select_ellipse_;
        case CanvasTool::SelectLasso: return select_lasso_;
    }
    return nullptr;
}

void CanvasToolBar::sync() {
    toolAction(canvas_->tool())->setChecked(true);
    eraser_->setEnabled(CanvasView::paints(canvas_->tool()));
    eraser_->setChecked(CanvasView::paints(canvas_->tool()) && canvas_->brush().eraser());
}

}  // namespace dit::ui
