#include "ui/mask_panel.h"

#include <QFormLayout>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QRadioButton>
#include <QSlider>
#include <QSpinBox>

#include "ui/canvas_view.h"

namespace dit::ui {

MaskPanel::MaskPanel(CanvasView* canvas, QWidget* parent) : QWidget(parent), canvas_(canvas) {
    auto* outer = new QVBoxLayout(this);

    auto* tool = new QHBoxLayout;
    brush_ = new QRadioButton(tr("Brush"), this);
    eraser_ = new QRadioButton(tr("Eraser"), this);
    brush_->setChecked(true);
    brush_->setToolTip(tr("Paint the area to regenerate (E toggles)"));
    eraser_->setToolTip(tr("Erase from the mask (E)"));
    tool->addWidget(brush_);
    tool->addWidget(eraser_);
    tool->addStretch();
    outer->addLayout(tool);

    auto* form = new QFormLayout;
    size_ = new QSpinBox(this);
    size_->setRange(1, 1000);
    size_->setSuffix(tr(" px"));
    size_->setValue(int(canvas_->brush().size()));
    size_->setToolTip(tr("Brush diameter ([ and ] change it)"));
    hardness_ = new QSlider(Qt::Horizontal, this);
    hardness_->setRange(0, 100);
    hardness_->setValue(int(canvas_->brush().hardness() * 100));
    hardness_->setToolTip(tr("0: soft edge falling off from the centre; 100: a hard disc"));
    form->addRow(tr("Size"), size_);
    form->addRow(tr("Hardness"), hardness_);
    outer->addLayout(form);

    auto* whole = new QGroupBox(tr("Whole mask"), this);
    auto* grid = new QGridLayout(whole);
    auto* fill = new QPushButton(tr("Fill"), whole);
    auto* clear = new QPushButton(tr("Clear"), whole);
    auto* invert = new QPushButton(tr("Invert"), whole);
    grid->addWidget(fill, 0, 0);
    grid->addWidget(clear, 0, 1);
    grid->addWidget(invert, 0, 2);
    amount_ = new QSpinBox(whole);
    amount_->setRange(1, 256);
    amount_->setValue(8);
    amount_->setSuffix(tr(" px"));
    auto* grow = new QPushButton(tr("Grow"), whole);
    auto* shrink = new QPushButton(tr("Shrink"), whole);
    auto* feather = new QPushButton(tr("Feather"), whole);
    grid->addWidget(grow, 1, 0);
    grid->addWidget(shrink, 1, 1);
    grid->addWidget(feather, 1, 2);
    auto* by = new QLabel(tr("by"), whole);
    by->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
    grid->addWidget(by, 2, 0);
    grid->addWidget(amount_, 2, 1, 1, 2);
    outer->addWidget(whole);
    outer->addStretch();

    connect(brush_, &QRadioButton::toggled, this, [this](bool on) {
        canvas_->brush().setEraser(!on);
        canvas_->update();
    });
    connect(size_, &QSpinBox::valueChanged, this, [this](int v) { canvas_->setBrushSize(v); });
    connect(canvas_, &CanvasView::brushSizeChanged, this, [this](double px) {
        QSignalBlocker b(size_);
        size_->setValue(int(std::lround(px)));
    });
    connect(hardness_, &QSlider::valueChanged, this, [this](int v) {
        canvas_->brush().setHardness(v / 100.0);
        canvas_->update();
    });
    auto op = [this](QPushButton* b, auto fn) {
        connect(b, &QPushButton::clicked, this, [this, fn] {
            if (doc_) fn(doc_.data(), amount_->value());
        });
    };
    op(fill, [](studio::Document* d, int) { d->fillMask(); });
    op(clear, [](studio::Document* d, int) { d->clearMask(); });
    op(invert, [](studio::Document* d, int) { d->invertMask(); });
    op(grow, [](studio::Document* d, int n) { d->growMask(n); });
    op(shrink, [](studio::Document* d, int n) { d->shrinkMask(n); });
    op(feather, [](studio::Document* d, int n) { d->featherMask(n); });
}

}  // namespace dit::ui
