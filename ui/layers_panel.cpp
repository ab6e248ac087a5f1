#include "ui/layers_panel.h"

#include <QCheckBox>
#include <QGridLayout>
#include <QLabel>
#include <QSlider>

namespace dit::ui {

LayersPanel::LayersPanel(CanvasView* canvas, QWidget* parent) : QWidget(parent), canvas_(canvas) {
    auto* grid = new QGridLayout(this);
    grid->setColumnStretch(1, 1);
    const char* names[kCanvasLayers] = {QT_TR_NOOP("Image"), QT_TR_NOOP("Mask overlay"), QT_TR_NOOP("Pose"),
                                        QT_TR_NOOP("Edges"), QT_TR_NOOP("Regions")};
    for (int i = 0; i < kCanvasLayers; ++i) {
        const auto l = CanvasLayer(i);
        const LayerView v = canvas_->layerView(l);
        auto* box = new QCheckBox(tr(names[i]), this);
        box->setChecked(v.visible);
        box->setToolTip(tr("Show or hide the %1 layer (a view setting: it never changes a generation)").arg(tr(names[i]).toLower()));
        auto* slider = new QSlider(Qt::Horizontal, this);
        slider->setRange(0, 100);
        slider->setValue(int(std::lround(v.opacity * 100)));
        slider->setToolTip(tr("Opacity of the %1 layer").arg(tr(names[i]).toLower()));
        auto* pct = new QLabel(QString::number(slider->value()) + "%", this);
        pct->setMinimumWidth(36);
        visible_[i] = box;
        opacity_[i] = slider;
        grid->addWidget(box, i, 0);
        grid->addWidget(slider, i, 1);
        grid->addWidget(pct, i, 2);
        connect(box, &QCheckBox::toggled, this, [this, l] { push(l); });
        connect(slider, &QSlider::valueChanged, this, [this, l, pct](int v) {
            pct->setText(QString::number(v) + "%");
            push(l);
        });
    }
    grid->setRowStretch(kCanvasLayers, 1);
}

void LayersPanel::push(CanvasLayer l) {
    canvas_->setLayerView(l, {visible_[int(l)]->isChecked(), opacity_[int(l)]->value() / 100.0});
}

}  // namespace dit::ui
