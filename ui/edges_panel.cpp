#include "ui/edges_panel.h"

#include <QCheckBox>
#include <QFormLayout>
#include <QGridLayout>
#include <QLabel>
#include <QPushButton>
#include <QSlider>
#include <QVBoxLayout>

#include "studio/control/canny.h"
#include "studio/document/mask_ops.h"
#include "ui/canvas_view.h"

namespace dit::ui {

using studio::Document;

EdgesPanel::EdgesPanel(CanvasView* canvas, QWidget* parent) : QWidget(parent), canvas_(canvas) {
    auto* v = new QVBoxLayout(this);
    auto* form = new QFormLayout;
    auto slider = [this](int value) {
        auto* s = new QSlider(Qt::Horizontal, this);
        s->setRange(0, 500);
        s->setValue(value);
        return s;
    };
    low_ = slider(100);
    high_ = slider(200);
    low_->setToolTip(tr("Canny's low threshold: weaker gradients than this never become edges"));
    high_->setToolTip(tr("Canny's high threshold: gradients above this always become edges"));
    auto* low_label = new QLabel(this);
    auto* high_label = new QLabel(this);
    form->addRow(tr("Low"), low_);
    form->addRow(QString(), low_label);
    form->addRow(tr("High"), high_);
    form->addRow(QString(), high_label);
    v->addLayout(form);
    auto* grid = new QGridLayout;
    auto* detect = new QPushButton(tr("Detect edges"), this);
    live_ = new QCheckBox(tr("Live"), this);
    live_->setToolTip(tr("Re-run Canny as the thresholds change"));
    brush_ = new QPushButton(tr("Edge brush (D)"), this);
    brush_->setCheckable(true);
    brush_->setToolTip(tr("Draw edges on the canvas with the edge brush (D); E switches it to erasing edges"));
    auto* invert = new QPushButton(tr("Invert"), this);
    auto* clear = new QPushButton(tr("Clear"), this);
    detect->setToolTip(tr("Find the image layer's edges with Canny, as the edge control was trained on"));
    invert->setToolTip(tr("Swap edges and background in the edge layer"));
    clear->setToolTip(tr("Empty the edge layer"));
    grid->addWidget(detect, 0, 0);
    grid->addWidget(live_, 0, 1);
    grid->addWidget(brush_, 1, 0, 1, 2);
    grid->addWidget(invert, 2, 0);
    grid->addWidget(clear, 2, 1);
    v->addLayout(grid);
    v->addStretch();

    auto labels = [=, this] {
        low_label->setText(tr("%1 (gradient)").arg(low_->value()));
        high_label->setText(tr("%1 (gradient)").arg(high_->value()));
    };
    labels();
    debounce_.setSingleShot(true);
    debounce_.setInterval(150);
    connect(&debounce_, &QTimer::timeout, this, [this] { this->detect(); });
    for (QSlider* s : {low_, high_})
        connect(s, &QSlider::valueChanged, this, [=, this] {
            // Keep low <= high, as Canny requires.
            if (low_->value() > high_->value()) (s == low_ ? high_ : low_)->setValue(s->value());
            labels();
            if (live_->isChecked()) debounce_.start();
        });
    connect(detect, &QPushButton::clicked, this, [this] { this->detect(); });
    connect(brush_, &QPushButton::toggled, this, [this](bool on) {
        canvas_->setTool(on ? CanvasTool::Edges : CanvasTool::Mask);
        if (on) canvas_->setLayerView(CanvasLayer::Edges, {true, canvas_->layerView(CanvasLayer::Edges).opacity});
    });
    connect(canvas_, &CanvasView::toolChanged, this, [this](CanvasTool t) {
        QSignalBlocker b(brush_);
        brush_->setChecked(t == CanvasTool::Edges);
    });
    connect(invert, &QPushButton::clicked, this, [this] {
        if (doc_) replaceEdges(studio::invert_mask(doc_->edges()), tr("Invert edges"));
    });
    connect(clear, &QPushButton::clicked, this, [this] {
        if (doc_) replaceEdges(studio::blank_gray(doc_->canvasSize()), tr("Clear edges"));
    });
}

bool EdgesPanel::detect() {
    if (!doc_) return false;
    if (doc_->image().isNull()) {
        emit message(tr("Edges: the document has no image layer to detect edges in"), true);
        return false;
    }
    try {
        studio::CannyOptions o;
        o.low = low_->value();
        o.high = high_->value();
        replaceEdges(studio::canny_edges(doc_->image(), o),
                     tr("Detect edges %1/%2").arg(low_->value()).arg(high_->value()));
        return true;
    } catch (const std::exception& e) {
        emit message(QString::fromUtf8(e.what()), true);
        return false;
    }
}

void EdgesPanel::replaceEdges(const QImage& edges, const QString& text) {
    if (edges == doc_->edges()) return;
    doc_->paintPatch({Document::PaintTarget::Edges}, {0, 0}, doc_->edges(), edges, text);
}

}  // namespace dit::ui
