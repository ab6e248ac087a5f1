#include "ui/layers_panel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QSettings>
#include <QSlider>
#include <QToolButton>
#include <cmath>
#include <vector>

namespace dit::ui {

using studio::BlendMode;
using studio::Document;

LayersPanel::LayersPanel(CanvasView* canvas, QWidget* parent) : QWidget(parent), canvas_(canvas) {
    auto* v = new QVBoxLayout(this);
    v->setContentsMargins(4, 4, 4, 4);

    // --- The image layer stack.
    auto* stack = new QGroupBox(tr("Image layers"), this);
    auto* sv = new QVBoxLayout(stack);
    list_ = new QListWidget(stack);
    list_->setObjectName(QStringLiteral("imageLayerList"));
    list_->setToolTip(tr("The picture's layers, top first: the checked ones are composited into what generation reads. "
                         "Double-click renames."));
    list_->setMinimumHeight(90);
    sv->addWidget(list_, 1);
    auto* buttons = new QHBoxLayout;
    auto button = [&](const QString& text, const QString& tip) {
        auto* b = new QToolButton(stack);
        b->setText(text);
        b->setToolTip(tip);
        buttons->addWidget(b);
        return b;
    };
    add_ = button(tr("+"), tr("Add a transparent layer above the selected one"));
    duplicate_ = button(tr("Dup"), tr("Duplicate the selected layer"));
    delete_ = button(tr("−"), tr("Delete the selected layer"));
    up_ = button(tr("▲"), tr("Move the selected layer up"));
    down_ = button(tr("▼"), tr("Move the selected layer down"));
    buttons->addStretch();
    sv->addLayout(buttons);
    auto* props = new QGridLayout;
    image_opacity_ = new QSlider(Qt::Horizontal, stack);
    image_opacity_->setRange(0, 100);
    image_opacity_->setToolTip(tr("Opacity of the selected layer (an edit: it changes what generation reads)"));
    blend_ = new QComboBox(stack);
    blend_->addItem(tr("Normal"), int(BlendMode::Normal));
    blend_->addItem(tr("Multiply"), int(BlendMode::Multiply));
    blend_->addItem(tr("Screen"), int(BlendMode::Screen));
    blend_->setToolTip(tr("How the selected layer combines with the layers below"));
    props->addWidget(new QLabel(tr("Opacity"), stack), 0, 0);
    props->addWidget(image_opacity_, 0, 1);
    props->addWidget(new QLabel(tr("Blend"), stack), 1, 0);
    props->addWidget(blend_, 1, 1);
    sv->addLayout(props);
    results_as_layers_ = new QCheckBox(tr("Results land as a new layer"), stack);
    results_as_layers_->setToolTip(tr("Checked: each result becomes a layer of its own above the selected one; "
                                      "unchecked: it replaces the selected layer's pixels"));
    results_as_layers_->setChecked(QSettings().value(QStringLiteral("results/as_new_layer"), true).toBool());
    sv->addWidget(results_as_layers_);
    v->addWidget(stack, 1);

    connect(list_, &QListWidget::currentRowChanged, this, [this] {
        if (!rebuilding_ && doc_ && selectedId()) doc_->setCurrentLayer(selectedId());
    });
    connect(list_, &QListWidget::itemChanged, this, [this](QListWidgetItem* it) {
        if (rebuilding_ || !doc_) return;
        const quint32 id = it->data(Qt::UserRole).toUInt();
        const studio::ImageLayer* l = doc_->imageLayer(id);
        if (!l) return;
        const bool visible = it->checkState() == Qt::Checked;
        if (visible != l->visible) doc_->setImageLayerVisible(id, visible);
        else if (!it->text().trimmed().isEmpty() && it->text() != l->name) doc_->renameImageLayer(id, it->text().trimmed());
        else rebuild();
    });
    connect(add_, &QToolButton::clicked, this, [this] {
        if (doc_) doc_->addImageLayer(tr("Layer %1").arg(doc_->state().next_layer_id));
    });
    connect(duplicate_, &QToolButton::clicked, this, [this] {
        if (doc_ && selectedId()) doc_->duplicateImageLayer(selectedId());
    });
    connect(delete_, &QToolButton::clicked, this, [this] {
        if (doc_ && selectedId()) doc_->removeImageLayer(selectedId());
    });
    connect(up_, &QToolButton::clicked, this, [this] {
        if (doc_ && selectedId()) doc_->moveImageLayer(selectedId(), doc_->imageLayerIndex(selectedId()) + 1);
    });
    connect(down_, &QToolButton::clicked, this, [this] {
        if (doc_ && selectedId()) doc_->moveImageLayer(selectedId(), std::max(0, doc_->imageLayerIndex(selectedId()) - 1));
    });
    connect(image_opacity_, &QSlider::valueChanged, this, [this](int o) {
        if (!rebuilding_ && doc_ && selectedId()) doc_->setImageLayerOpacity(selectedId(), o / 100.0);
    });
    connect(image_opacity_, &QSlider::sliderReleased, this, [this] {
        if (doc_) doc_->sealMerging();  // one drag, one undo step
    });
    connect(blend_, &QComboBox::activated, this, [this] {
        if (doc_ && selectedId()) doc_->setImageLayerBlend(selectedId(), BlendMode(blend_->currentData().toInt()));
    });
    connect(results_as_layers_, &QCheckBox::toggled, this,
            [](bool on) { QSettings().setValue(QStringLiteral("results/as_new_layer"), on); });

    // --- The control layers over the picture: view settings.
    auto* controls = new QGroupBox(tr("Control layers (view only)"), this);
    auto* grid = new QGridLayout(controls);
    grid->setColumnStretch(1, 1);
    const char* names[kCanvasLayers] = {QT_TR_NOOP("Picture"), QT_TR_NOOP("Mask overlay"), QT_TR_NOOP("Pose"),
                                        QT_TR_NOOP("Edges"), QT_TR_NOOP("Regions")};
    for (int i = 0; i < kCanvasLayers; ++i) {
        const auto l = CanvasLayer(i);
        const LayerView lv = canvas_->layerView(l);
        auto* box = new QCheckBox(tr(names[i]), controls);
        box->setChecked(lv.visible);
        box->setToolTip(tr("Show or hide the %1 layer (a view setting: it never changes a generation)").arg(tr(names[i]).toLower()));
        auto* slider = new QSlider(Qt::Horizontal, controls);
        slider->setRange(0, 100);
        slider->setValue(int(std::lround(lv.opacity * 100)));
        slider->setToolTip(tr("Opacity of the %1 layer").arg(tr(names[i]).toLower()));
        auto* pct = new QLabel(QString::number(slider->value()) + "%", controls);
        pct->setMinimumWidth(36);
        visible_[i] = box;
        opacity_[i] = slider;
        grid->addWidget(box, i, 0);
        grid->addWidget(slider, i, 1);
        grid->addWidget(pct, i, 2);
        connect(box, &QCheckBox::toggled, this, [this, l] { push(l); });
        connect(slider, &QSlider::valueChanged, this, [this, l, pct](int val) {
            pct->setText(QString::number(val) + "%");
            push(l);
        });
    }
    v->addWidget(controls);
    rebuild();
}

bool LayersPanel::resultsAsNewLayers() const { return results_as_layers_->isChecked(); }

void LayersPanel::setDocument(Document* doc) {
    if (doc_) disconnect(doc_, nullptr, this, nullptr);
    doc_ = doc;
    if (doc_)
        connect(doc_, &Document::layerChanged, this, [this](Document::Layer l, QRect, quint32) {
            if (l == Document::Layer::ImageLayers) rebuild();
        });
    rebuild();
}

quint32 LayersPanel::selectedId() const {
    const QListWidgetItem* it = list_->currentItem();
    return it ? it->data(Qt::UserRole).toUInt() : 0;
}

void LayersPanel::rebuild() {
    rebuilding_ = true;
    const bool any = doc_ && !doc_->imageLayers().empty();
    // Top of the list = top of the stack. The same layers in the same order are updated in
    // place: a click that selects a row must not delete that row while Qt handles the click.
    std::vector<const studio::ImageLayer*> rows;
    if (doc_)
        for (auto l = doc_->imageLayers().rbegin(); l != doc_->imageLayers().rend(); ++l) rows.push_back(&*l);
    bool same = int(rows.size()) == list_->count();
    for (int i = 0; same && i < list_->count(); ++i) same = list_->item(i)->data(Qt::UserRole).toUInt() == rows[size_t(i)]->id;
    if (!same) {
        list_->clear();
        for (const studio::ImageLayer* l : rows) {
            auto* it = new QListWidgetItem(list_);
            it->setData(Qt::UserRole, l->id);
            it->setFlags(Qt::ItemIsSelectable | Qt::ItemIsEnabled | Qt::ItemIsEditable | Qt::ItemIsUserCheckable);
        }
    }
    for (int i = 0; i < int(rows.size()); ++i) {
        const studio::ImageLayer* l = rows[size_t(i)];
        QListWidgetItem* it = list_->item(i);
        it->setText(l->name);
        it->setCheckState(l->visible ? Qt::Checked : Qt::Unchecked);
        it->setToolTip(tr("%1: opacity %2%, %3").arg(l->name).arg(std::lround(l->opacity * 100)).arg(studio::blend_name(l->blend)));
        if (l->id == doc_->currentLayer() && list_->currentRow() != i) list_->setCurrentRow(i);
    }
    if (doc_)
        if (const studio::ImageLayer* cur = doc_->imageLayer(doc_->currentLayer())) {
            image_opacity_->setValue(int(std::lround(cur->opacity * 100)));
            blend_->setCurrentIndex(blend_->findData(int(cur->blend)));
        }
    add_->setEnabled(doc_ != nullptr);
    for (QWidget* w : std::initializer_list<QWidget*>{duplicate_, delete_, up_, down_, image_opacity_, blend_}) w->setEnabled(any);
    rebuilding_ = false;
}

void LayersPanel::push(CanvasLayer l) {
    canvas_->setLayerView(l, {visible_[int(l)]->isChecked(), opacity_[int(l)]->value() / 100.0});
}

}  // namespace dit::ui
