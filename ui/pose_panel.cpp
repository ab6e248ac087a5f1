#include "ui/pose_panel.h"

#include <QFileDialog>
#include <QGridLayout>
#include <QLabel>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

#include "studio/control/pose.h"
#include "ui/canvas_view.h"

namespace dit::ui {

using studio::Document;
using studio::Person;

Person standing_person(QSize canvas, double cx, double fraction) {
    // BODY_18 joints of a person facing the viewer, in units of its height (y down from the top
    // of the head), x from its centre line. The person's right is the viewer's left.
    static constexpr float kPose[studio::kBodyKeypoints][2] = {
        {0.00f, 0.07f},  {0.00f, 0.18f},  {-0.11f, 0.19f}, {-0.14f, 0.35f}, {-0.15f, 0.50f},
        {0.11f, 0.19f},  {0.14f, 0.35f},  {0.15f, 0.50f},  {-0.07f, 0.52f}, {-0.08f, 0.74f},
        {-0.08f, 0.96f}, {0.07f, 0.52f},  {0.08f, 0.74f},  {0.08f, 0.96f},  {-0.025f, 0.05f},
        {0.025f, 0.05f}, {-0.055f, 0.07f}, {0.055f, 0.07f}};
    const float h = float(canvas.height() * fraction);
    const float top = float(canvas.height() * (1 - fraction) / 2), x0 = float(canvas.width() * cx);
    Person p;
    for (int i = 0; i < studio::kBodyKeypoints; ++i)
        p.keypoints[i] = {x0 + kPose[i][0] * h, top + kPose[i][1] * h, true};
    return p;
}

PosePanel::PosePanel(CanvasView* canvas, QWidget* parent) : QWidget(parent), canvas_(canvas) {
    auto* v = new QVBoxLayout(this);
    tool_ = new QPushButton(tr("Pose tool (P)"), this);
    tool_->setCheckable(true);
    tool_->setToolTip(tr("Drag joints on the canvas; right click deletes or restores a joint"));
    v->addWidget(tool_);
    auto* grid = new QGridLayout;
    add_ = new QPushButton(tr("Add person"), this);
    remove_ = new QPushButton(tr("Remove"), this);
    person_ = new QSpinBox(this);
    person_->setPrefix(tr("person "));
    grid->addWidget(add_, 0, 0, 1, 2);
    grid->addWidget(person_, 1, 0);
    grid->addWidget(remove_, 1, 1);
    auto* import = new QPushButton(tr("Import JSON…"), this);
    auto* exp = new QPushButton(tr("Export JSON…"), this);
    import->setToolTip(tr("OpenPose JSON (people[].pose_keypoints_2d); hands and face are not kept yet"));
    grid->addWidget(import, 2, 0);
    grid->addWidget(exp, 2, 1);
    v->addLayout(grid);
    v->addStretch();

    connect(tool_, &QPushButton::toggled, this, [this](bool on) {
        canvas_->setTool(on ? CanvasTool::Pose : CanvasTool::Mask);
    });
    connect(canvas_, &CanvasView::toolChanged, this, [this](CanvasTool t) {
        QSignalBlocker b(tool_);
        tool_->setChecked(t == CanvasTool::Pose);
    });
    connect(add_, &QPushButton::clicked, this, [this] {
        if (!doc_) return;
        // Each new person stands a little to the right of the last.
        const int n = int(doc_->people().size());
        doc_->addPerson(standing_person(doc_->canvasSize(), 0.5 + 0.2 * ((n + 1) / 2) * (n % 2 ? 1 : -1)));
        canvas_->setTool(CanvasTool::Pose);
    });
    connect(remove_, &QPushButton::clicked, this, [this] {
        if (doc_ && person_->value() < int(doc_->people().size())) doc_->removePerson(person_->value());
    });
    connect(import, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Import OpenPose JSON"), {}, tr("JSON (*.json)"));
        if (!path.isEmpty()) importJson(path);
    });
    connect(exp, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getSaveFileName(this, tr("Export OpenPose JSON"), tr("pose.json"),
                                                          tr("JSON (*.json)"));
        if (!path.isEmpty()) exportJson(path);
    });
    refresh();
}

void PosePanel::setDocument(Document* doc) {
    if (doc_) disconnect(doc_, nullptr, this, nullptr);
    doc_ = doc;
    if (doc_)
        connect(doc_, &Document::layerChanged, this, [this](Document::Layer l, QRect, quint32) {
            if (l == Document::Layer::Pose) refresh();
        });
    refresh();
}

void PosePanel::refresh() {
    const int n = doc_ ? int(doc_->people().size()) : 0;
    person_->setRange(0, std::max(0, n - 1));
    person_->setEnabled(n > 0);
    remove_->setEnabled(n > 0);
}

bool PosePanel::importJson(const QString& path) {
    if (!doc_) return false;
    try {
        const studio::Pose pose = studio::scaled_pose(studio::read_pose_json(path, doc_->canvasSize()),
                                                      doc_->canvasSize());
        doc_->undoStack()->beginMacro(tr("Import pose"));
        while (!doc_->people().empty()) doc_->removePerson(int(doc_->people().size()) - 1);
        for (const auto& pp : pose.people) {
            Person p;
            for (int i = 0; i < studio::kBodyKeypoints; ++i)
                p.keypoints[i] = {pp.body[i].x, pp.body[i].y, pp.body[i].visible()};
            doc_->addPerson(p);
        }
        doc_->undoStack()->endMacro();
        emit message(tr("Imported %1 people from %2").arg(pose.people.size()).arg(path), false);
        return true;
    } catch (const std::exception& e) {
        emit message(QString::fromUtf8(e.what()), true);
        return false;
    }
}

bool PosePanel::exportJson(const QString& path) {
    if (!doc_) return false;
    try {
        studio::Pose pose;
        pose.canvas = doc_->canvasSize();
        for (const auto& p : doc_->people()) {
            studio::PosePerson pp;
            for (int i = 0; i < studio::kBodyKeypoints; ++i)
                pp.body[i] = {p.keypoints[i].x, p.keypoints[i].y, p.keypoints[i].visible ? 1.f : 0.f};
            pose.people.push_back(pp);
        }
        studio::write_pose_json(pose, path);
        emit message(tr("Exported the pose to %1").arg(path), false);
        return true;
    } catch (const std::exception& e) {
        emit message(QString::fromUtf8(e.what()), true);
        return false;
    }
}

}  // namespace dit::ui
