#include "ui/mask_panel.h"

#include <QGridLayout>
#include <QGroupBox>
#include <QLabel>
#include <QPainter>
#include <QPushButton>
#include <QSpinBox>

#include "ui/canvas_view.h"

namespace dit::ui {

MaskPanel::MaskPanel(CanvasView* canvas, QWidget* parent) : QWidget(parent), canvas_(canvas) {
    auto* outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    auto* whole = new QGroupBox(tr("Whole mask"), this);
    auto* grid = new QGridLayout(whole);
    auto button = [whole](const QString& text, const QString& tip) {
        auto* b = new QPushButton(text, whole);
        b->setToolTip(tip);
        return b;
    };
    auto* fill = button(tr("Fill"), tr("Mask the whole canvas: inpaint regenerates everything"));
    auto* clear = button(tr("Clear"), tr("Empty the mask"));
    auto* invert = button(tr("Invert"), tr("Swap the masked and the kept areas"));
    auto* grow = button(tr("Grow"), tr("Widen the mask by the amount below"));
    auto* shrink = button(tr("Shrink"), tr("Narrow the mask by the amount below"));
    auto* feather = button(tr("Feather"), tr("Soften the mask's edge over the amount below"));
    grid->addWidget(fill, 0, 0);
    grid->addWidget(clear, 0, 1);
    grid->addWidget(invert, 0, 2);
    grid->addWidget(grow, 1, 0);
    grid->addWidget(shrink, 1, 1);
    grid->addWidget(feather, 1, 2);
    amount_ = new QSpinBox(whole);
    amount_->setRange(1, 256);
    amount_->setValue(8);
    amount_->setSuffix(tr(" px"));
    amount_->setToolTip(tr("How far Grow, Shrink and Feather reach, in canvas pixels"));
    auto* by = new QLabel(tr("by"), whole);
    by->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
    grid->addWidget(by, 2, 0);
    grid->addWidget(amount_, 2, 1, 1, 2);
    outer->addWidget(whole);
    colour_ = new QPushButton(tr("Mask colour…"), this);
    colour_->setToolTip(tr("The colour the mask is shown in (hatched); regions never take a colour close to it"));
    outer->addWidget(colour_);
    outer->addStretch();
    updateColour();

    connect(colour_, &QPushButton::clicked, this, &MaskPanel::colourRequested);
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

void MaskPanel::updateColour() {
    QPixmap pm(14, 14);
    pm.fill(canvas_->maskTint());
    colour_->setIcon(QIcon(pm));
}

}  // namespace dit::ui
