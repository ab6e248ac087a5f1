#include "ui/layers_panel.h"
#include "ui/main_window.h"

#include <QAction>
#include <QCheckBox>
#include <QDir>
#include <QFileInfo>
#include <QGuiApplication>
#include <QScreen>
#include <QLabel>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QStatusBar>
#include <QTimer>
#include <QUndoGroup>

#include "studio/gallery/gallery_store.h"
#include "studio/install_paths.h"
#include "studio/model/model_defaults.h"
#include "studio/project/recent_files.h"
#include "studio/project/recovery.h"
#include "ui/brush_options.h"
#include "ui/canvas_view.h"
#include "ui/edges_panel.h"
#include "ui/gallery_panel.h"
#include "ui/generation_panel.h"
#include "ui/mask_panel.h"
#include "ui/pose_panel.h"
#include "ui/prompt_panel.h"

namespace dit::ui {

using studio::Document;
using studio::GenerationSettings;

QString MainWindow::default_model_dir() {
    return QString::fromStdString(studio::default_model_dir().string());
}

MainWindow::MainWindow(const Options& options, QWidget* parent) : QMainWindow(parent), options_(options) {
    setWindowTitle(tr("DiT Studio"));
    setDockNestingEnabled(true);
    setAcceptDrops(false);  // the canvas takes drops

    worker_ = new studio::GenerationWorker(this);
    connectWorker(worker_);
    gallery_ = std::make_unique<studio::GalleryStore>(options_.gallery_dir);

    undo_group_ = new QUndoGroup(this);
    canvas_ = new CanvasView(this);
    setCentralWidget(canvas_);
    const QColor tint = QSettings().value(QStringLiteral("canvas/maskColour")).value<QColor>();
    if (tint.isValid()) canvas_->setMaskTint(tint);
    connect(canvas_, &CanvasView::previewShown, this, [this] {
        for (auto* w : workers()) w->previewConsumed();
    });
    connect(canvas_, &CanvasView::fileDropped, this, [this](const QString& p) { openFile(p); });
    connect(canvas_, &CanvasView::imageDropped, this, [this](const QImage& img) { openImage(img, tr("the dropped picture")); });

    recent_ = std::make_unique<studio::RecentFiles>(new QSettings(this));
    if (options_.autosave) recovery_ = std::make_unique<studio::RecoveryStore>();

    buildBars();
    buildDocks();
    buildStatusBar();
    buildActions();
    connect(canvas_, &CanvasView::zoomChanged, this, [this](double z) {
        zoom_label_->setText(QStringLiteral("%1%").arg(qRound(z * 100)));
    });
    connect(canvas_, &CanvasView::toolChanged, this, &MainWindow::updateToolLabel);
    connect(canvas_, &CanvasView::brushChanged, this, &MainWindow::updateToolLabel);

    // A first document the model can make well: its own size, steps and sampler, and an
    // example prompt, so the first Generate already shows what the model does.
    const QString model = options_.model_dir.isEmpty() ? default_model_dir() : options_.model_dir;
    const studio::ModelDefaults d = studio::model_defaults(model);
    const QSize size = options_.canvas.value_or(QSize(d.width, d.height));
    auto doc = std::make_unique<Document>(size);
    GenerationSettings s = studio::with_model_defaults(doc->settings(), d);
    s.model_dir = model;
    s.width = studio::engine_size(size.width());
    s.height = studio::engine_size(size.height());
    // The starting state is not an edit: set it, then forget the commands.
    doc->setSettings(s, tr("model"));
    doc->setPrompt(d.example_prompt);
    doc->sealMerging();
    doc->undoStack()->clear();
    setDocument(std::move(doc));

    live_timer_ = new QTimer(this);
    live_timer_->setSingleShot(true);
    live_timer_->setInterval(300);  // typing settles before a run starts
    connect(live_timer_, &QTimer::timeout, this, &MainWindow::generateLive);
    connect(live_, &QCheckBox::toggled, this, [this](bool on) {
        live_seed_.reset();
        if (on) live_timer_->start();
        else live_timer_->stop();
    });
    // As large as a laptop screen allows, up to 1400x900.
    QSize initial(1400, 900);
    if (const QScreen* screen = QGuiApplication::primaryScreen()) initial = initial.boundedTo(screen->availableSize());
    resize(initial);
    resetLayout();
    updateBusy();
    updateToolLabel();
    if (!d.problem.isEmpty()) showMessage(tr("Model defaults: %1").arg(d.problem), true);
    else showMessage(tr("Ready: press Generate (Ctrl+Enter) to make the example, then paint and edit."));
}

MainWindow::~MainWindow() {
    for (auto* w : workers()) w->stop();
    autosaver_.reset();
    if (recovery_) recovery_->clear();
    canvas_->setDocument(nullptr);
}

void MainWindow::showEvent(QShowEvent* e) {
    QMainWindow::showEvent(e);
    if (shown_once_) return;
    shown_once_ = true;
    // Dock sizes only hold once the window has its real size: the default layout is laid out
    // here, and a remembered one replaces it.
    resetLayout();
    if (options_.remember_layout) restoreLayout();
    // The dock sizes once the window manager has settled the window's size.
    QTimer::singleShot(0, this, [this] {
        if (!options_.remember_layout) resetLayout();
    });
}

QAction* MainWindow::action(const QString& name) const { return findChild<QAction*>(name); }

void MainWindow::buildStatusBar() {
    status_ = new QLabel(this);
    status_->setMinimumWidth(120);
    status_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    restore_offer_ = new QPushButton(tr("Restore its parameters"), this);
    restore_offer_->setToolTip(tr("Put the opened result's prompt and settings into the panels (one undo step)"));
    restore_offer_->hide();
    connect(restore_offer_, &QPushButton::clicked, this, [this] {
        if (offered_) {
            restoreParameters(*offered_, false);
            showMessage(tr("Parameters restored"));
        }
        offered_.reset();
        restore_offer_->hide();
    });
    tool_label_ = new QLabel(this);
    tool_label_->setToolTip(tr("The active tool: what the left mouse button does on the canvas"));
    tool_label_->setStyleSheet(QStringLiteral("padding: 0 8px; border-radius: 3px; background: #2a82da; color: white;"));
    zoom_label_ = new QLabel(this);
    zoom_label_->setMinimumWidth(50);
    zoom_label_->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
    zoom_label_->setToolTip(tr("Zoom (Ctrl+wheel; Ctrl+0 fits, Ctrl+1 shows actual pixels)"));
    statusBar()->addWidget(status_, 1);
    statusBar()->addPermanentWidget(restore_offer_);
    statusBar()->addPermanentWidget(tool_label_);
    statusBar()->addPermanentWidget(zoom_label_);
}

void MainWindow::setDocument(std::unique_ptr<Document> doc) {
    autosaver_.reset();
    std::unique_ptr<Document> old = std::move(doc_);
    doc_ = std::move(doc);
    undo_group_->addStack(doc_->undoStack());
    undo_group_->setActiveStack(doc_->undoStack());
    attachViews();
    // A new canvas size (or its undo) may change every layer's size: the views start afresh.
    connect(doc_.get(), &Document::canvasChanged, this, &MainWindow::attachViews);
    connect(doc_.get(), &Document::modifiedChanged, this, &MainWindow::updateTitle);
    connect(doc_.get(), &Document::layerChanged, this, [this](Document::Layer l, QRect, quint32) {
        // The image layer and the results are what generating writes; everything else the
        // user edits re-runs live mode.
        if (l != Document::Layer::Image && l != Document::Layer::ImageLayers && l != Document::Layer::PoseBackground &&
            l != Document::Layer::Results && l != Document::Layer::Selection &&
            live_timer_ && live_->isChecked())
            live_timer_->start();
    });
    if (recovery_) {
        autosaver_ = std::make_unique<studio::Autosaver>(doc_.get(), recovery_.get(), options_.autosave_interval_s);
        autosaver_->setProjectPath(project_path_);
        connect(autosaver_.get(), &studio::Autosaver::failed, this,
                [this](const QString& m) { showMessage(tr("Autosave failed: %1").arg(m), true); });
    }
    if (old) undo_group_->removeStack(old->undoStack());
    updateTitle();
}

void MainWindow::attachViews() {
    canvas_->setDocument(doc_.get());
    mask_->setDocument(doc_.get());
    pose_->setDocument(doc_.get());
    edges_->setDocument(doc_.get());
    prompt_->setDocument(doc_.get());
    generation_->setDocument(doc_.get());
    gallery_panel_->setDocument(doc_.get());
    layers_->setDocument(doc_.get());
}

void MainWindow::loadTokens(const QString& model_dir) {
    if (model_dir.isEmpty()) {
        prompt_->setTokens(nullptr);
        return;
    }
    auto it = tokens_.find(model_dir);
    if (it == tokens_.end()) {
        std::shared_ptr<const studio::PromptTokens> t;
        try {
            t = studio::PromptTokens::load(model_dir);
        } catch (const std::exception& e) {
            showMessage(tr("Tokens not counted: %1").arg(QString::fromUtf8(e.what())), true);
        }
        it = tokens_.emplace(model_dir, t).first;
    }
    prompt_->setTokens(it->second);
}

void MainWindow::showMessage(const QString& text, bool error) {
    status_->setText(text);
    status_->setToolTip(text);
    status_->setStyleSheet(error ? QStringLiteral("color: #ff7b7b;") : QString());
}

void MainWindow::updateBusy() {
    const bool busy = isGenerating();
    cancel_->setEnabled(busy);
    progress_action_->setVisible(busy);
    eta_action_->setVisible(busy);
    generate_->setText(busy ? tr("Queue another") : tr("Generate"));
}

void MainWindow::updateTitle() {
    const QString name = project_path_.isEmpty() ? tr("Untitled") : QFileInfo(project_path_).fileName();
    setWindowTitle(QStringLiteral("%1%2 — DiT Studio").arg(name, doc_ && doc_->isModified() ? "*" : ""));
}

void MainWindow::updateToolLabel() {
    QString text = brush_tool_name(canvas_);
    if (CanvasView::paints(canvas_->tool())) text += tr(" · %1 px").arg(qRound(canvas_->brush().size()));
    tool_label_->setText(text);
    // Erasing is the state that loses work when unnoticed: it shows in another colour.
    tool_label_->setStyleSheet(QStringLiteral("padding: 0 8px; border-radius: 3px; color: white; background: %1;")
                                   .arg(CanvasView::paints(canvas_->tool()) && canvas_->brush().eraser() ? "#b05a2a" : "#2a82da"));
}

}  // namespace dit::ui
