#include "ui/upscale_dialog.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QLabel>
#include <QSpinBox>
#include <cmath>

#include "studio/generation_worker.h"

namespace dit::ui {

UpscaleDialog::UpscaleDialog(QSize canvas, int native, QWidget* parent) : QDialog(parent), canvas_(canvas) {
    setWindowTitle(tr("Upscale and refine"));
    auto* form = new QFormLayout(this);
    scale_ = new QComboBox(this);
    for (double f : {1.5, 2.0, 3.0, 4.0}) scale_->addItem(QStringLiteral("%1×").arg(f), f);
    scale_->setCurrentIndex(1);
    scale_->setToolTip(tr("How much larger: a Lanczos resize, then refined by tiles"));
    strength_ = new QDoubleSpinBox(this);
    strength_->setRange(0.05, 1.0);
    strength_->setSingleStep(0.05);
    strength_->setValue(studio::GenerationRequest::Upscale{}.strength);
    strength_->setToolTip(tr("How much each tile is redrawn: low keeps the picture, high invents detail"));
    tile_ = new QSpinBox(this);
    tile_->setRange(32, 2048);
    tile_->setSingleStep(16);
    tile_->setValue(native);
    tile_->setSuffix(tr(" px"));
    tile_->setToolTip(tr("Tiles at the model's native size work best"));
    overlap_ = new QSpinBox(this);
    overlap_->setRange(0, 1024);
    overlap_->setValue(native / 8);
    overlap_->setSuffix(tr(" px"));
    overlap_->setToolTip(tr("Tiles overlap this much and blend across it, so no seam shows"));
    size_ = new QLabel(this);
    form->addRow(tr("Scale"), scale_);
    form->addRow(tr("Strength"), strength_);
    form->addRow(tr("Tile"), tile_);
    form->addRow(tr("Overlap"), overlap_);
    form->addRow(tr("Output"), size_);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    form->addRow(buttons);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto update = [this] { size_->setText(QStringLiteral("%1 × %2").arg(outputSize().width()).arg(outputSize().height())); };
    connect(scale_, &QComboBox::currentIndexChanged, this, update);
    update();
}

double UpscaleDialog::scale() const { return scale_->currentData().toDouble(); }
double UpscaleDialog::strength() const { return strength_->value(); }
int UpscaleDialog::tile() const { return tile_->value(); }
int UpscaleDialog::overlap() const { return overlap_->value(); }
QSize UpscaleDialog::outputSize() const {
    return {int(std::lround(canvas_.width() * scale())), int(std::lround(canvas_.height() * scale()))};
}

}  // namespace dit::ui
