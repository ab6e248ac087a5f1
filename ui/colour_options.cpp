#include "ui/colour_options.h"

#include <QCheckBox>
#include <QColorDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QSettings>
#include <QSlider>
#include <QSpinBox>
#include <QToolButton>
#include <cmath>

#include "ui/canvas_view.h"

namespace dit::ui {

namespace {

constexpr int kRecent = 8;

QIcon swatch(const QColor& c, int size) {
    QPixmap pm(size, size);
    pm.fill(c);
    return QIcon(pm);
}

}  // namespace

ColourOptions::ColourOptions(CanvasView* canvas, QWidget* parent) : QWidget(parent), canvas_(canvas) {
    auto* form = new QFormLayout(this);
    form->setContentsMargins(0, 0, 0, 0);
    colour_ = new QToolButton(this);
    colour_->setObjectName(QStringLiteral("paintColour"));
    colour_->setIconSize({40, 20});
    colour_->setToolTip(tr("The paint colour: click to choose"));
    form->addRow(tr("Colour"), colour_);
    auto* row = new QHBoxLayout;
    row->setSpacing(2);
    for (const QVariant& v : QSettings().value(QStringLiteral("paint/recent_colours")).toList())
        if (QColor c(v.toString()); c.isValid() && recent_.size() < kRecent) recent_.push_back(c);
    for (int i = 0; i < kRecent; ++i) {
        auto* b = new QToolButton(this);
        b->setIconSize({14, 14});
        b->setAutoRaise(true);
        b->setToolTip(tr("A recently used colour"));
        row->addWidget(b);
        recent_buttons_.push_back(b);
        connect(b, &QToolButton::clicked, this, [this, i] {
            if (i < recent_.size()) canvas_->setPaintColour(recent_[i]);
        });
    }
    row->addStretch();
    form->addRow(tr("Recent"), row);
    opacity_ = new QSlider(Qt::Horizontal, this);
    opacity_->setRange(1, 100);
    opacity_->setToolTip(tr("The most a stroke covers, however often it passes"));
    flow_ = new QSlider(Qt::Horizontal, this);
    flow_->setRange(1, 100);
    flow_->setToolTip(tr("How much each dab adds: low flow builds up as the brush passes again"));
    form->addRow(tr("Opacity"), opacity_);
    form->addRow(tr("Flow"), flow_);
    pressure_size_ = new QCheckBox(tr("Size"), this);
    pressure_size_->setToolTip(tr("A tablet pen's pressure scales the brush's size"));
    pressure_opacity_ = new QCheckBox(tr("Opacity"), this);
    pressure_opacity_->setToolTip(tr("A tablet pen's pressure scales the stroke's opacity"));
    auto* pressure = new QHBoxLayout;
    pressure->addWidget(pressure_size_);
    pressure->addWidget(pressure_opacity_);
    pressure->addStretch();
    form->addRow(tr("Pen pressure"), pressure);
    tolerance_ = new QSpinBox(this);
    tolerance_->setRange(0, 255);
    tolerance_->setToolTip(tr("Fill: how far a colour may differ from the clicked one, per channel, and still be filled"));
    form->addRow(tr("Fill tolerance"), tolerance_);

    studio::ColourBrush& b = canvas_->colourBrush();
    opacity_->setValue(int(std::lround(b.opacity() * 100)));
    flow_->setValue(int(std::lround(b.flow() * 100)));
    pressure_size_->setChecked(b.pressureSize());
    pressure_opacity_->setChecked(b.pressureOpacity());
    tolerance_->setValue(canvas_->fillTolerance());
    connect(opacity_, &QSlider::valueChanged, this, [this](int v) { canvas_->colourBrush().setOpacity(v / 100.0); });
    connect(flow_, &QSlider::valueChanged, this, [this](int v) { canvas_->colourBrush().setFlow(v / 100.0); });
    connect(pressure_size_, &QCheckBox::toggled, this, [this](bool on) { canvas_->colourBrush().setPressureSize(on); });
    connect(pressure_opacity_, &QCheckBox::toggled, this, [this](bool on) { canvas_->colourBrush().setPressureOpacity(on); });
    connect(tolerance_, &QSpinBox::valueChanged, this, [this](int v) { canvas_->setFillTolerance(v); });
    connect(colour_, &QToolButton::clicked, this, [this] {
        const QColor c = QColorDialog::getColor(canvas_->paintColour(), this, tr("Paint colour"));
        if (c.isValid()) canvas_->setPaintColour(c);
    });
    connect(canvas_, &CanvasView::paintColourChanged, this, [this](const QColor& c) {
        remember(c);
        showColours();
    });
    connect(canvas_, &CanvasView::strokeFinished, this, [this] {
        if (CanvasView::colourTool(canvas_->tool())) remember(canvas_->paintColour());
    });
    showColours();
}

void ColourOptions::remember(const QColor& c) {
    recent_.removeAll(c);
    recent_.prepend(c);
    while (recent_.size() > kRecent) recent_.removeLast();
    QVariantList names;
    for (const QColor& r : recent_) names.push_back(r.name());
    QSettings().setValue(QStringLiteral("paint/recent_colours"), names);
    showColours();
}

void ColourOptions::showColours() {
    colour_->setIcon(swatch(canvas_->paintColour(), 40));
    colour_->setText(canvas_->paintColour().name());
    for (int i = 0; i < recent_buttons_.size(); ++i) {
        QToolButton* b = recent_buttons_[i];
        b->setVisible(i < recent_.size());
        if (i < recent_.size()) {
            b->setIcon(swatch(recent_[i], 14));
            b->setToolTip(recent_[i].name());
        }
    }
}

}  // namespace dit::ui
