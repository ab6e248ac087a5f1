#include "ui/extend_canvas_dialog.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QSpinBox>

namespace dit::ui {

ExtendCanvasDialog::ExtendCanvasDialog(QSize canvas, QWidget* parent) : QDialog(parent), canvas_(canvas) {
    setWindowTitle(tr("Extend canvas"));
    auto* form = new QFormLayout(this);
    aspect_ = new QComboBox(this);
    aspect_->setToolTip(tr("Add the sides that bring the canvas to this aspect ratio"));
    aspect_->addItem(tr("By pixels"), 0.0);
    for (const auto& [name, value] : {std::pair{"1:1", 1.0}, {"4:3", 4.0 / 3}, {"3:2", 1.5}, {"16:9", 16.0 / 9},
                                      {"3:4", 0.75}, {"2:3", 2.0 / 3}, {"9:16", 9.0 / 16}})
        aspect_->addItem(QString::fromLatin1(name), value);
    form->addRow(tr("Aspect"), aspect_);
    const char* names[] = {QT_TR_NOOP("Left"), QT_TR_NOOP("Right"), QT_TR_NOOP("Top"), QT_TR_NOOP("Bottom")};
    for (int i = 0; i < 4; ++i) {
        sides_[i] = new QSpinBox(this);
        sides_[i]->setRange(0, 4096);
        sides_[i]->setSingleStep(16);
        sides_[i]->setSuffix(tr(" px"));
        sides_[i]->setToolTip(tr("Pixels added on this side; the new area is generated, the picture kept as it is"));
        form->addRow(tr(names[i]), sides_[i]);
        connect(sides_[i], &QSpinBox::valueChanged, this, &ExtendCanvasDialog::updateSize);
    }
    size_ = new QLabel(this);
    form->addRow(tr("New size"), size_);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    form->addRow(buttons);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(aspect_, &QComboBox::currentIndexChanged, this, [this] {
        const double a = aspect_->currentData().toDouble();
        if (a <= 0) return;
        const Outpaint o = studio::outpaint_to_aspect(canvas_, a);
        const int v[] = {o.left, o.right, o.top, o.bottom};
        for (int i = 0; i < 4; ++i) {
            const QSignalBlocker b(sides_[i]);
            sides_[i]->setValue(v[i]);
        }
        updateSize();
    });
    updateSize();
}

Outpaint ExtendCanvasDialog::outpaint() const {
    return {sides_[0]->value(), sides_[1]->value(), sides_[2]->value(), sides_[3]->value()};
}

void ExtendCanvasDialog::updateSize() {
    const Outpaint o = round_outpaint(outpaint(), canvas_.width(), canvas_.height(), 16);
    size_->setText(tr("%1 × %2 (sides rounded to multiples of 16)")
                       .arg(canvas_.width() + o.left + o.right)
                       .arg(canvas_.height() + o.top + o.bottom));
}

}  // namespace dit::ui
