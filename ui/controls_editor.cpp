#include "ui/controls_editor.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>

namespace dit::ui {

using studio::ControlSettings;
using studio::Document;
using studio::GenerationSettings;

namespace {

// start < end always holds (the settings reader refuses the rest): each spin box's range stops
// one step short of the other's value.
constexpr double kStep = 0.05, kGap = 0.01;

QDoubleSpinBox* spin(double lo, double hi, QWidget* parent) {
    auto* s = new QDoubleSpinBox(parent);
    s->setRange(lo, hi);
    s->setSingleStep(kStep);
    s->setDecimals(2);
    s->setFrame(false);
    return s;
}

}  // namespace

ControlsEditor::ControlsEditor(QWidget* parent) : QWidget(parent) {
    auto* v = new QVBoxLayout(this);
    v->setContentsMargins(0, 0, 0, 0);
    table_ = new QTableWidget(0, kColumns, this);
    table_->setHorizontalHeaderLabels({tr("Type"), tr("On"), tr("Weight"), tr("Start"), tr("End")});
    table_->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    table_->horizontalHeader()->setSectionResizeMode(kEnabled, QHeaderView::ResizeToContents);
    table_->verticalHeader()->setVisible(false);
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    table_->setSelectionMode(QAbstractItemView::SingleSelection);
    // Two rows always show (a pose and an edge control), three before it scrolls.
    table_->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    table_->verticalHeader()->setDefaultSectionSize(30);
    const int header = table_->horizontalHeader()->sizeHint().height() + 2 * table_->frameWidth();
    table_->setMinimumHeight(header + 2 * 30);
    table_->setMaximumHeight(header + 3 * 30);
    table_->setToolTip(tr("Control adapters: pose renders the pose layer, edges takes the edge layer. "
                          "Weight scales the adapter; start/end is the part of the schedule it acts in. "
                          "The model folder needs the adapter (controlnet_pose/, controlnet_edges/)."));
    auto* row = new QHBoxLayout;
    add_pose_ = new QPushButton(tr("+ Pose"), this);
    add_edges_ = new QPushButton(tr("+ Edges"), this);
    remove_ = new QPushButton(tr("Remove"), this);
    add_pose_->setToolTip(tr("Add a pose control: the pose layer, rendered as OpenPose draws it"));
    add_edges_->setToolTip(tr("Add an edge control: the edge layer"));
    remove_->setToolTip(tr("Remove the selected control"));
    row->addWidget(add_pose_);
    row->addWidget(add_edges_);
    row->addStretch();
    row->addWidget(remove_);
    v->addWidget(table_);
    v->addLayout(row);
    connect(add_pose_, &QPushButton::clicked, this, [this] { add(QStringLiteral("pose")); });
    connect(add_edges_, &QPushButton::clicked, this, [this] { add(QStringLiteral("edges")); });
    connect(remove_, &QPushButton::clicked, this, [this] {
        const int r = table_->currentRow();
        if (!doc_ || r < 0 || r >= int(doc_->settings().controls.size())) return;
        GenerationSettings s = doc_->settings();
        s.controls.erase(s.controls.begin() + r);
        doc_->sealMerging();
        doc_->setSettings(s, tr("controls"));
        doc_->sealMerging();
    });
    refresh();
}

QWidget* ControlsEditor::cell(int row, Column column) const { return table_->cellWidget(row, column); }

void ControlsEditor::setDocument(Document* doc) {
    if (doc_) disconnect(doc_, nullptr, this, nullptr);
    doc_ = doc;
    if (doc_)
        connect(doc_, &Document::layerChanged, this, [this](Document::Layer l, QRect, quint32) {
            if (l == Document::Layer::Settings) refresh();
        });
    refresh();
}

void ControlsEditor::add(const QString& type) {
    if (!doc_) return;
    GenerationSettings s = doc_->settings();
    ControlSettings c;
    c.type = type;
    s.controls.push_back(c);
    doc_->sealMerging();
    doc_->setSettings(s, tr("controls"));
    doc_->sealMerging();
    table_->selectRow(int(s.controls.size()) - 1);
}

template <class F>
void ControlsEditor::change(int row, const QString& field, F edit) {
    if (!doc_ || row >= int(doc_->settings().controls.size())) return;
    GenerationSettings s = doc_->settings();
    edit(s.controls[size_t(row)]);
    if (s == doc_->settings()) return;
    doc_->setSettings(s, tr("control %1 %2").arg(row + 1).arg(field));
}

void ControlsEditor::refresh() {
    const std::vector<ControlSettings> controls = doc_ ? doc_->settings().controls : std::vector<ControlSettings>{};
    const int keep = table_->currentRow();
    if (table_->rowCount() != int(controls.size())) {
        // Rows come and go with add / remove / undo: rebuild them.
        table_->setRowCount(0);
        table_->setRowCount(int(controls.size()));
        for (int r = 0; r < int(controls.size()); ++r) {
            auto* type = new QComboBox(table_);
            type->addItem(tr("pose"), QStringLiteral("pose"));
            type->addItem(tr("edges"), QStringLiteral("edges"));
            type->setFrame(false);
            auto* on = new QCheckBox(table_);
            on->setToolTip(tr("Off keeps the row but sends nothing"));
            auto* weight = spin(0, 2, table_);
            auto* start = spin(0, 1, table_);
            auto* end = spin(0, 1, table_);
            table_->setCellWidget(r, kType, type);
            table_->setCellWidget(r, kEnabled, on);
            table_->setCellWidget(r, kWeight, weight);
            table_->setCellWidget(r, kStart, start);
            table_->setCellWidget(r, kEnd, end);
            connect(type, &QComboBox::currentIndexChanged, this, [this, r, type](int) {
                change(r, tr("type"), [&](ControlSettings& c) { c.type = type->currentData().toString(); });
            });
            connect(on, &QCheckBox::toggled, this, [this, r](bool b) {
                change(r, tr("on"), [&](ControlSettings& c) { c.enabled = b; });
            });
            connect(weight, &QDoubleSpinBox::valueChanged, this, [this, r](double x) {
                change(r, tr("weight"), [&](ControlSettings& c) { c.weight = x; });
            });
            connect(start, &QDoubleSpinBox::valueChanged, this, [this, r](double x) {
                change(r, tr("start"), [&](ControlSettings& c) { c.start = x; });
            });
            connect(end, &QDoubleSpinBox::valueChanged, this, [this, r](double x) {
                change(r, tr("end"), [&](ControlSettings& c) { c.end = x; });
            });
        }
    }
    for (int r = 0; r < int(controls.size()); ++r) {
        const ControlSettings& c = controls[size_t(r)];
        auto* type = static_cast<QComboBox*>(cell(r, kType));
        auto* on = static_cast<QCheckBox*>(cell(r, kEnabled));
        auto* weight = static_cast<QDoubleSpinBox*>(cell(r, kWeight));
        auto* start = static_cast<QDoubleSpinBox*>(cell(r, kStart));
        auto* end = static_cast<QDoubleSpinBox*>(cell(r, kEnd));
        const QSignalBlocker b0(type), b1(on), b2(weight), b3(start), b4(end);
        type->setCurrentIndex(std::max(0, type->findData(c.type)));
        on->setChecked(c.enabled);
        weight->setValue(c.weight);
        start->setRange(0, std::max(0.0, c.end - kGap));
        end->setRange(std::min(1.0, c.start + kGap), 1);
        start->setValue(c.start);
        end->setValue(c.end);
        for (QWidget* w : {static_cast<QWidget*>(type), static_cast<QWidget*>(weight), static_cast<QWidget*>(start),
                           static_cast<QWidget*>(end)})
            w->setEnabled(c.enabled);
    }
    if (keep >= 0 && keep < table_->rowCount()) table_->selectRow(keep);
    remove_->setEnabled(!controls.empty());
}

}  // namespace dit::ui
