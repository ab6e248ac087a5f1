#include "ui/brush_options.h"

#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QRadioButton>
#include <QSlider>
#include <QSpinBox>
#include <cmath>

#include "ui/canvas_view.h"

namespace dit::ui {

QString brush_tool_name(CanvasView* canvas) {
    const bool erase = canvas->brush().eraser();
    switch (canvas->tool()) {
        case CanvasTool::Mask: return erase ? QObject::tr("Mask eraser") : QObject::tr("Mask brush");
        case CanvasTool::Edges: return erase ? QObject::tr("Edge eraser") : QObject::tr("Edge brush");
        case CanvasTool::Region: return erase ? QObject::tr("Region eraser") : QObject::tr("Region brush");
        case CanvasTool::Pose: return QObject::tr("Pose");
        case CanvasTool::Paint: return erase ? QObject::tr("Colour eraser") : QObject::tr("Colour brush");
        case CanvasTool::Eyedropper: return QObject::tr("Eyedropper");
        case CanvasTool::Fill: return QObject::tr("Fill");
        case CanvasTool::SelectRect: return QObject::tr("Rectangle selection");
        case CanvasTool::SelectEllipse: return QObject::tr("Ellipse selection");
        case CanvasTool::SelectLasso: return QObject::tr("Lasso selection");
    }
    return {};
}

BrushOptions::BrushOptions(CanvasView* canvas, QWidget* parent) : QWidget(parent), canvas_(canvas) {
    auto* v = new QVBoxLayout(this);
    v->setContentsMargins(0, 0, 0, 0);
    title_ = new QLabel(this);
    title_->setStyleSheet(QStringLiteral("font-weight: bold;"));
    v->addWidget(title_);
    auto* mode = new QHBoxLayout;
    paint_ = new QRadioButton(tr("Paint"), this);
    eraser_ = new QRadioButton(tr("Erase"), this);
    paint_->setToolTip(tr("Paint with the active brush (E toggles)"));
    eraser_->setToolTip(tr("Erase with the active brush (E toggles); each brush keeps its own setting"));
    mode->addWidget(paint_);
    mode->addWidget(eraser_);
    mode->addStretch();
    v->addLayout(mode);
    auto* form = new QFormLayout;
    size_ = new QSpinBox(this);
    size_->setRange(1, 1000);
    size_->setSuffix(tr(" px"));
    size_->setToolTip(tr("Brush diameter in canvas pixels ([ smaller, ] larger); each brush keeps its own"));
    hardness_ = new QSlider(Qt::Horizontal, this);
    hardness_->setRange(0, 100);
    hardness_->setToolTip(tr("0: a soft edge falling off from the centre; 100: a hard disc"));
    form->addRow(tr("Size"), size_);
    form->addRow(tr("Hardness"), hardness_);
    v->addLayout(form);

    connect(eraser_, &QRadioButton::toggled, this, [this](bool on) { canvas_->setEraser(on); });
    connect(size_, &QSpinBox::valueChanged, this, [this](int px) { canvas_->setBrushSize(px); });
    connect(hardness_, &QSlider::valueChanged, this, [this](int h) { canvas_->setBrushHardness(h / 100.0); });
    connect(canvas_, &CanvasView::brushChanged, this, &BrushOptions::pull);
    pull();
}

void BrushOptions::pull() {
    const auto& b = canvas_->brush();
    const QSignalBlocker b1(paint_), b2(eraser_), b3(size_), b4(hardness_);
    title_->setText(brush_tool_name(canvas_));
    (b.eraser() ? eraser_ : paint_)->setChecked(true);
    size_->setValue(int(std::lround(b.size())));
    hardness_->setValue(int(std::lround(b.hardness() * 100)));
    setEnabled(CanvasView::paints(canvas_->tool()));
}

}  // namespace dit::ui
