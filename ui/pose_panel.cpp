#include "ui/pose_panel.h"

#include <QComboBox>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QImageReader>
#include <QMimeData>
#include <QSlider>
#include <QGroupBox>
#include <QGridLayout>
#include <QLabel>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>
#include <cmath>

#include "studio/control/pose.h"
#include "ui/canvas_view.h"

namespace dit::ui {

using studio::Document;
using studio::Person;
using studio::PosePart;

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
        p.body[size_t(i)] = {x0 + kPose[i][0] * h, top + kPose[i][1] * h, 1.f};
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
    add_->setToolTip(tr("Add a standing person to the pose layer (drag its joints with the pose tool, P)"));
    remove_->setToolTip(tr("Remove the selected person"));
    person_ = new QSpinBox(this);
    person_->setToolTip(tr("The person the buttons below act on"));
    person_->setPrefix(tr("person "));
    grid->addWidget(add_, 0, 0, 1, 2);
    grid->addWidget(person_, 1, 0);
    grid->addWidget(remove_, 1, 1);
    auto* import = new QPushButton(tr("Import JSON…"), this);
    auto* exp = new QPushButton(tr("Export JSON…"), this);
    exp->setToolTip(tr("Save the pose layer as OpenPose JSON, which other pose tools open"));
    import->setToolTip(tr("OpenPose JSON: body, hands and face keypoints"));
    grid->addWidget(import, 2, 0);
    grid->addWidget(exp, 2, 1);
    v->addLayout(grid);
    v->addWidget(buildTransforms());
    v->addWidget(buildBackground());
    v->addStretch();
    setAcceptDrops(true);

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
            if (l == Document::Layer::PoseBackground) refreshBackground();
        });
    refresh();
    refreshBackground();
}

void PosePanel::refresh() {
    const int n = doc_ ? int(doc_->people().size()) : 0;
    person_->setRange(0, std::max(0, n - 1));
    person_->setEnabled(n > 0);
    remove_->setEnabled(n > 0);
    transforms_->setEnabled(n > 0);
}

QWidget* PosePanel::buildTransforms() {
    transforms_ = new QGroupBox(tr("Transform"), this);
    auto* g = new QGridLayout(transforms_);
    part_ = new QComboBox(transforms_);
    part_->addItem(tr("Whole person"), int(PosePart::Person));
    part_->addItem(tr("Left hand"), int(PosePart::LeftHand));
    part_->addItem(tr("Right hand"), int(PosePart::RightHand));
    part_->setToolTip(tr("A person turns and scales about its neck, a hand about its wrist"));
    g->addWidget(part_, 0, 0, 1, 4);
    int col = 0;
    auto button = [&](const QString& text, const QString& tip, int row, auto apply) {
        auto* b = new QPushButton(text, transforms_);
        b->setToolTip(tip);
        g->addWidget(b, row, col++ % 4);
        connect(b, &QPushButton::clicked, this, [this, text, apply] { transformSelected(text, apply); });
    };
    // Steps a user can repeat: 4 px nudges, 10% scales and 15 degree turns cover posing by clicks.
    constexpr double kNudge = 4, kScale = 1.1, kTurn = 15;
    button(tr("←"), tr("Move left"), 1, [](const Person& p, PosePart t) { return studio::translated(p, t, {-kNudge, 0}); });
    button(tr("→"), tr("Move right"), 1, [](const Person& p, PosePart t) { return studio::translated(p, t, {kNudge, 0}); });
    button(tr("↑"), tr("Move up"), 1, [](const Person& p, PosePart t) { return studio::translated(p, t, {0, -kNudge}); });
    button(tr("↓"), tr("Move down"), 1, [](const Person& p, PosePart t) { return studio::translated(p, t, {0, kNudge}); });
    button(tr("Larger"), tr("Scale up 10%"), 2, [](const Person& p, PosePart t) { return studio::scaled(p, t, kScale); });
    button(tr("Smaller"), tr("Scale down 10%"), 2, [](const Person& p, PosePart t) { return studio::scaled(p, t, 1 / kScale); });
    button(tr("⟲ 15°"), tr("Rotate counter-clockwise"), 2, [](const Person& p, PosePart t) { return studio::rotated(p, t, -kTurn); });
    button(tr("⟳ 15°"), tr("Rotate clockwise"), 2, [](const Person& p, PosePart t) { return studio::rotated(p, t, kTurn); });
    button(tr("Mirror"), tr("Mirror left-right"), 3, [](const Person& p, PosePart t) { return studio::mirrored(p, t); });
    return transforms_;
}

void PosePanel::transformSelected(const QString& name, const std::function<Person(const Person&, PosePart)>& apply) {
    if (!doc_ || person_->value() >= int(doc_->people().size())) return;
    const int index = person_->value();
    const auto part = PosePart(part_->currentData().toInt());
    doc_->setPerson(index, apply(doc_->people()[size_t(index)], part), tr("Transform pose: %1").arg(name));
}

bool PosePanel::importJson(const QString& path) {
    if (!doc_) return false;
    try {
        const studio::Pose pose = studio::scaled_pose(studio::read_pose_json(path, doc_->canvasSize()),
                                                      doc_->canvasSize());
        doc_->undoStack()->beginMacro(tr("Import pose"));
        while (!doc_->people().empty()) doc_->removePerson(int(doc_->people().size()) - 1);
        for (const auto& pp : pose.people) doc_->addPerson(pp);
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
        pose.people = doc_->people();
        studio::write_pose_json(pose, path);
        emit message(tr("Exported the pose to %1").arg(path), false);
        return true;
    } catch (const std::exception& e) {
        emit message(QString::fromUtf8(e.what()), true);
        return false;
    }
}

QWidget* PosePanel::buildBackground() {
    auto* box = new QGroupBox(tr("Background to trace"), this);
    box->setToolTip(tr("A picture drawn under the skeleton to pose from; drop an image on this "
                       "panel or load one. It is saved with the project and never generated from."));
    auto* g = new QGridLayout(box);
    bg_load_ = new QPushButton(tr("Load image…"), box);
    bg_clear_ = new QPushButton(tr("Remove"), box);
    bg_load_->setToolTip(tr("Load a picture to trace the pose from; it is never part of a generation"));
    bg_clear_->setToolTip(tr("Remove the background picture"));
    bg_opacity_ = new QSlider(Qt::Horizontal, box);
    bg_opacity_->setRange(0, 100);
    bg_opacity_->setToolTip(tr("Opacity of the background picture"));
    bg_label_ = new QLabel(box);
    bg_label_->setWordWrap(true);
    g->addWidget(bg_load_, 0, 0);
    g->addWidget(bg_clear_, 0, 1);
    g->addWidget(new QLabel(tr("Opacity"), box), 1, 0);
    g->addWidget(bg_opacity_, 1, 1);
    g->addWidget(bg_label_, 2, 0, 1, 2);
    connect(bg_load_, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Background to trace"), {},
                                                          tr("Images (*.png *.jpg *.jpeg *.webp *.bmp)"));
        if (!path.isEmpty()) loadBackground(path);
    });
    connect(bg_clear_, &QPushButton::clicked, this, [this] {
        if (doc_) doc_->setPoseBackground({});
    });
    connect(bg_opacity_, &QSlider::valueChanged, this, [this](int v) {
        if (doc_) doc_->setPoseBackgroundOpacity(v / 100.0);
    });
    connect(bg_opacity_, &QSlider::sliderReleased, this, [this] {
        if (doc_) doc_->sealMerging();  // one drag, one undo step
    });
    return box;
}

void PosePanel::refreshBackground() {
    const bool has = doc_ && !doc_->state().pose_background.isNull();
    bg_clear_->setEnabled(has);
    bg_opacity_->setEnabled(has);
    {
        QSignalBlocker b(bg_opacity_);
        bg_opacity_->setValue(doc_ ? int(std::lround(doc_->state().pose_background_opacity * 100)) : 50);
    }
    const QSize size = has ? doc_->state().pose_background.size() : QSize();
    bg_label_->setText(has ? tr("%1×%2 picture under the skeleton").arg(size.width()).arg(size.height())
                           : tr("None: drop an image here"));
}

bool PosePanel::loadBackground(const QString& path) {
    if (!doc_) return false;
    QImageReader reader(path);
    reader.setAutoTransform(true);
    // A tracing aid needs no more pixels than a screen shows; huge photos are read smaller.
    constexpr int kMaxSide = 4096;
    const QSize size = reader.size();
    if (size.isValid() && std::max(size.width(), size.height()) > kMaxSide)
        reader.setScaledSize(size.scaled(kMaxSide, kMaxSide, Qt::KeepAspectRatio));
    const QImage img = reader.read();
    if (img.isNull()) {
        emit message(tr("%1: %2").arg(QFileInfo(path).fileName(), reader.errorString()), true);
        return false;
    }
    doc_->setPoseBackground(img);
    canvas_->setTool(CanvasTool::Pose);
    emit message(tr("Pose background: %1 (%2×%3)").arg(QFileInfo(path).fileName()).arg(img.width()).arg(img.height()),
                 false);
    return true;
}

void PosePanel::dragEnterEvent(QDragEnterEvent* e) {
    if (!e->mimeData()->hasUrls()) return;
    for (const QUrl& u : e->mimeData()->urls())
        if (u.isLocalFile()) {
            e->acceptProposedAction();
            return;
        }
}

void PosePanel::dropEvent(QDropEvent* e) {
    for (const QUrl& u : e->mimeData()->urls())
        if (u.isLocalFile()) {
            e->acceptProposedAction();
            loadBackground(u.toLocalFile());
            return;
        }
}

}  // namespace dit::ui
