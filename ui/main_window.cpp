#include "ui/main_window.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QCoreApplication>
#include <QDir>
#include <QCheckBox>
#include <QDockWidget>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QImageReader>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QRadioButton>
#include <QScrollArea>
#include <QScrollBar>
#include <QSettings>
#include <QStatusBar>
#include <QTimer>
#include <QUndoGroup>

#include "engine/error.h"
#include "studio/install_paths.h"
#include "studio/project/presets.h"
#include "studio/project/project_file.h"
#include "studio/project/recent_files.h"
#include "studio/project/recovery.h"
#include "studio/result_png.h"
#include "ui/canvas_view.h"
#include "ui/generation_panel.h"
#include "ui/history_panel.h"
#include "ui/edges_panel.h"
#include "ui/layers_panel.h"
#include "ui/pose_panel.h"
#include "ui/mask_panel.h"
#include "ui/prompt_panel.h"
#include "ui/region_editor.h"

#ifndef DIT_SOURCE_DIR
#define DIT_SOURCE_DIR ""
#endif

namespace dit::ui {

using studio::Document;
using studio::DocumentState;
using studio::GenerationMode;
using studio::GenerationRequest;
using studio::GenerationResult;
using studio::GenerationSettings;

namespace {

// Smooth scaling: masks are soft-edged anyway, and a resized image should not alias.
QImage scaled_layer(const QImage& img, QSize size) {
    if (img.isNull() || img.size() == size) return img;
    return img.scaled(size, Qt::IgnoreAspectRatio, Qt::SmoothTransformation);
}

}  // namespace

QString MainWindow::default_model_dir() {
    return QString::fromStdString(studio::default_model_dir().string());
}

MainWindow::MainWindow(const Options& options, QWidget* parent) : QMainWindow(parent), options_(options) {
    setWindowTitle(tr("DiT Studio"));
    setDockNestingEnabled(true);
    setAcceptDrops(false);  // the canvas takes drops

    worker_ = new studio::GenerationWorker(this);
    connect(worker_, &studio::GenerationWorker::started, this, &MainWindow::onStarted);
    connect(worker_, &studio::GenerationWorker::progress, this, &MainWindow::onProgress);
    connect(worker_, &studio::GenerationWorker::preview, this, &MainWindow::onPreview);
    connect(worker_, &studio::GenerationWorker::finished, this, &MainWindow::onFinished);
    connect(worker_, &studio::GenerationWorker::failed, this, &MainWindow::onFailed);
    connect(worker_, &studio::GenerationWorker::cancelled, this, &MainWindow::onCancelled);

    undo_group_ = new QUndoGroup(this);
    canvas_ = new CanvasView(this);
    setCentralWidget(canvas_);
    connect(canvas_, &CanvasView::previewShown, worker_, &studio::GenerationWorker::previewConsumed);
    connect(canvas_, &CanvasView::fileDropped, this, [this](const QString& p) { openFile(p); });

    recent_ = std::make_unique<studio::RecentFiles>(new QSettings(this));
    if (options_.autosave) recovery_ = std::make_unique<studio::RecoveryStore>();

    buildDocks();
    buildStatusBar();
    buildActions();
    connect(canvas_, &CanvasView::zoomChanged, this, [this](double z) {
        zoom_label_->setText(QStringLiteral("%1%").arg(qRound(z * 100)));
    });

    auto doc = std::make_unique<Document>(options_.canvas);
    GenerationSettings s = doc->settings();
    s.model_dir = options_.model_dir.isEmpty() ? default_model_dir() : options_.model_dir;
    s.width = options_.canvas.width();
    s.height = options_.canvas.height();
    // The starting state is not an edit: set it, then forget the command.
    doc->setSettings(s, tr("model"));
    doc->undoStack()->clear();
    setDocument(std::move(doc));
    live_timer_ = new QTimer(this);
    live_timer_->setSingleShot(true);
    live_timer_->setInterval(300);  // typing settles before a run starts
    connect(live_timer_, &QTimer::timeout, this, &MainWindow::generateLive);
    connect(generation_->liveBox(), &QCheckBox::toggled, this, [this](bool on) {
        if (on) live_timer_->start();
        else live_timer_->stop();
    });
    resize(1400, 900);
    updateBusy();
    showMessage(tr("Ready. Paint a mask, write a prompt, press Ctrl+Enter."));
}

MainWindow::~MainWindow() {
    worker_->stop();
    autosaver_.reset();
    if (recovery_) recovery_->clear();
    canvas_->setDocument(nullptr);
}

void MainWindow::buildDocks() {
    auto dock = [this](QWidget* w, const QString& title, const QString& name, Qt::DockWidgetArea area) {
        auto* d = new QDockWidget(title, this);
        d->setObjectName(name);
        // Panels scroll rather than force the window taller than a laptop screen.
        auto* scroll = new QScrollArea(d);
        scroll->setWidget(w);
        scroll->setWidgetResizable(true);
        scroll->setFrameShape(QFrame::NoFrame);
        scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);  // panels are as wide as they need
        scroll->setMinimumWidth(w->minimumSizeHint().width() + scroll->verticalScrollBar()->sizeHint().width());
        d->setWidget(scroll);
        d->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable |
                       QDockWidget::DockWidgetClosable);
        addDockWidget(area, d);
        return d;
    };
    generation_ = new GenerationPanel(this);
    prompt_ = new PromptPanel(canvas_, this);
    layers_ = new LayersPanel(canvas_, this);
    mask_ = new MaskPanel(canvas_, this);
    history_ = new HistoryPanel(this);
    pose_ = new PosePanel(canvas_, this);
    edges_ = new EdgesPanel(canvas_, this);

    auto* dprompt = dock(prompt_, tr("Prompt"), "PromptDock", Qt::RightDockWidgetArea);
    auto* dgen = dock(generation_, tr("Generation"), "GenerationDock", Qt::RightDockWidgetArea);
    auto* dlayers = dock(layers_, tr("Layers"), "LayersDock", Qt::LeftDockWidgetArea);
    auto* dmask = dock(mask_, tr("Mask tools"), "MaskDock", Qt::LeftDockWidgetArea);
    auto* dpose = dock(pose_, tr("Pose"), "PoseDock", Qt::LeftDockWidgetArea);
    auto* dedges = dock(edges_, tr("Edges"), "EdgesDock", Qt::LeftDockWidgetArea);
    auto* dhist = dock(history_, tr("History"), "HistoryDock", Qt::BottomDockWidgetArea);
    splitDockWidget(dprompt, dgen, Qt::Vertical);
    splitDockWidget(dlayers, dmask, Qt::Vertical);
    tabifyDockWidget(dmask, dpose);
    tabifyDockWidget(dpose, dedges);
    dmask->raise();
    resizeDocks({dprompt, dgen}, {440, 420}, Qt::Vertical);
    resizeDocks({dlayers, dmask}, {190, 520}, Qt::Vertical);
    resizeDocks({dlayers, dprompt}, {250, 340}, Qt::Horizontal);
    resizeDocks({dhist}, {170}, Qt::Vertical);
    view_docks_ = {dlayers, dmask, dpose, dedges, dprompt, dgen, dhist};
    for (auto* panel : {pose_}) connect(panel, &PosePanel::message, this, &MainWindow::showMessage);
    connect(edges_, &EdgesPanel::message, this, &MainWindow::showMessage);
    // Choosing a tool brings its panel forward.
    connect(canvas_, &CanvasView::toolChanged, this, [=](CanvasTool t) {
        (t == CanvasTool::Pose ? dpose : t == CanvasTool::Edges ? dedges : t == CanvasTool::Region ? dprompt : dmask)->raise();
    });

    connect(generation_, &GenerationPanel::generateRequested, this, &MainWindow::generate);
    connect(generation_, &GenerationPanel::modelDirChanged, this, &MainWindow::loadTokenizer);
    connect(history_, &HistoryPanel::restoreRequested, this, [this](int i) {
        restoreParameters(history_->result(i).request, true);
        showMessage(tr("Parameters of result #%1 restored").arg(history_->result(i).id));
    });
    connect(history_, &HistoryPanel::applyRequested, this, &MainWindow::applyResult);
    connect(history_, &HistoryPanel::compareChanged, canvas_, &CanvasView::setCompareImage);
    connect(history_, &HistoryPanel::saveRequested, this, [this](int i) {
        const GenerationResult& r = history_->result(i);
        const QString path = QFileDialog::getSaveFileName(this, tr("Save result"),
                                                          QStringLiteral("result-%1.png").arg(r.id),
                                                          tr("PNG images (*.png)"));
        if (path.isEmpty()) return;
        try {
            studio::save_result_png(path, studio::from_qimage(r.image), r.request);
            showMessage(tr("Saved %1").arg(QDir::toNativeSeparators(path)));
        } catch (const std::exception& e) {
            showMessage(QString::fromUtf8(e.what()), true);
        }
    });
}

void MainWindow::buildStatusBar() {
    status_ = new QLabel(this);
    status_->setMinimumWidth(200);
    status_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    progress_ = new QProgressBar(this);
    progress_->setMaximumWidth(220);
    progress_->setTextVisible(true);
    progress_->setFormat(QStringLiteral("%v / %m"));
    eta_ = new QLabel(this);
    eta_->setMinimumWidth(130);
    cancel_ = new QPushButton(tr("Cancel"), this);
    cancel_->setToolTip(tr("Cancel the running and queued generations (Esc)"));
    zoom_label_ = new QLabel(this);
    zoom_label_->setMinimumWidth(50);
    zoom_label_->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
    statusBar()->addWidget(status_, 1);
    statusBar()->addPermanentWidget(progress_);
    statusBar()->addPermanentWidget(eta_);
    statusBar()->addPermanentWidget(cancel_);
    statusBar()->addPermanentWidget(zoom_label_);
    connect(cancel_, &QPushButton::clicked, this, &MainWindow::cancelGeneration);
}

void MainWindow::buildActions() {
    auto add = [this](QMenu* menu, const QString& text, const QList<QKeySequence>& keys, auto slot) {
        auto* a = new QAction(text, this);
        a->setShortcuts(keys);
        // Window-wide, so the shortcut works whichever dock has focus; text fields still get
        // plain keys first (they accept the shortcut-override for printable characters).
        a->setShortcutContext(Qt::WindowShortcut);
        connect(a, &QAction::triggered, this, slot);
        menu->addAction(a);
        addAction(a);
        return a;
    };

    QMenu* file = menuBar()->addMenu(tr("&File"));
    add(file, tr("&Open…"), {QKeySequence::Open}, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Open project folder"));
        if (!dir.isEmpty()) openProject(dir);
    });
    recent_menu_ = file->addMenu(tr("Open &recent"));
    add(file, tr("Open &image…"), {QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O)}, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Open image"), {},
                                                          tr("Images (*.png *.jpg *.jpeg *.webp *.bmp)"));
        if (!path.isEmpty()) openFile(path);
    });
    file->addSeparator();
    add(file, tr("&Save"), {QKeySequence::Save}, [this] {
        QString dir = project_path_;
        if (dir.isEmpty()) dir = QFileDialog::getSaveFileName(this, tr("Save project folder"), tr("untitled"));
        if (!dir.isEmpty()) saveProject(dir);
    });
    add(file, tr("Save &as…"), {QKeySequence::SaveAs}, [this] {
        const QString dir = QFileDialog::getSaveFileName(this, tr("Save project folder"), project_path_);
        if (!dir.isEmpty()) saveProject(dir);
    });
    file->addSeparator();
    add(file, tr("&Quit"), {QKeySequence::Quit}, [this] { close(); });

    QMenu* edit = menuBar()->addMenu(tr("&Edit"));
    QAction* undo = undo_group_->createUndoAction(this, tr("&Undo"));
    undo->setShortcuts(QKeySequence::Undo);
    QAction* redo = undo_group_->createRedoAction(this, tr("&Redo"));
    redo->setShortcuts({QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Z), QKeySequence(Qt::CTRL | Qt::Key_Y)});
    for (QAction* a : {undo, redo}) {
        a->setShortcutContext(Qt::WindowShortcut);
        edit->addAction(a);
        addAction(a);
    }
    edit->addSeparator();
    add(edit, tr("Brush smaller"), {QKeySequence(Qt::Key_BracketLeft)},
        [this] { canvas_->setBrushSize(canvas_->brush().size() / 1.2); });
    add(edit, tr("Brush larger"), {QKeySequence(Qt::Key_BracketRight)},
        [this] { canvas_->setBrushSize(canvas_->brush().size() * 1.2); });

    QMenu* tools = menuBar()->addMenu(tr("&Tools"));
    add(tools, tr("&Mask brush"), {QKeySequence(Qt::Key_M), QKeySequence(Qt::Key_B)},
        [this] { canvas_->setTool(CanvasTool::Mask); });
    add(tools, tr("&Edge brush"), {QKeySequence(Qt::Key_D)}, [this] { canvas_->setTool(CanvasTool::Edges); });
    add(tools, tr("&Pose"), {QKeySequence(Qt::Key_P)}, [this] { canvas_->setTool(CanvasTool::Pose); });
    add(tools, tr("&Region brush"), {QKeySequence(Qt::Key_R)}, [this] { prompt_->regionEditor()->paintButton()->setChecked(true); });
    add(tools, tr("Toggle &eraser"), {QKeySequence(Qt::Key_E)}, [this] {
        (canvas_->brush().eraser() ? mask_->brushButton() : mask_->eraserButton())->setChecked(true);
    });

    QMenu* view = menuBar()->addMenu(tr("&View"));
    add(view, tr("Zoom &in"), {QKeySequence::ZoomIn, QKeySequence(Qt::Key_Plus), QKeySequence(Qt::Key_Equal)},
        [this] { canvas_->zoomIn(); });
    add(view, tr("Zoom &out"), {QKeySequence::ZoomOut, QKeySequence(Qt::Key_Minus)}, [this] { canvas_->zoomOut(); });
    add(view, tr("&Fit to window"), {QKeySequence(Qt::CTRL | Qt::Key_0)}, [this] { canvas_->fitToWindow(); });
    add(view, tr("Actual &pixels"), {QKeySequence(Qt::CTRL | Qt::Key_1)},
        [this] { canvas_->setZoom(1, canvas_->rect().center()); });
    view->addSeparator();
    for (QDockWidget* d : view_docks_) view->addAction(d->toggleViewAction());

    QMenu* gen = menuBar()->addMenu(tr("&Generate"));
    add(gen, tr("&Generate"),
        {QKeySequence(Qt::CTRL | Qt::Key_Return), QKeySequence(Qt::CTRL | Qt::Key_Enter)},
        &MainWindow::generate);
    add(gen, tr("&Cancel"), {QKeySequence(Qt::Key_Escape)}, &MainWindow::cancelGeneration);
    gen->addSeparator();
    preset_menu_ = gen->addMenu(tr("&Presets"));
    add(gen, tr("Save settings as preset…"), {}, [this] {
        const QString dir = studio::preset_dirs().value(0);
        QDir().mkpath(dir);
        const QString path = QFileDialog::getSaveFileName(this, tr("Save preset"), dir + "/my-preset.json",
                                                          tr("Presets (*.json)"));
        if (path.isEmpty()) return;
        try {
            studio::save_preset(path, studio::preset_from_settings(QFileInfo(path).baseName(), doc_->settings()));
            showMessage(tr("Preset saved: %1").arg(path));
            refreshPresetMenu();
        } catch (const std::exception& e) {
            showMessage(QString::fromUtf8(e.what()), true);
        }
    });
    refreshRecentMenu();
    refreshPresetMenu();
}

void MainWindow::refreshRecentMenu() {
    recent_menu_->clear();
    const QStringList files = recent_->prune();
    for (const QString& f : files)
        recent_menu_->addAction(QDir::toNativeSeparators(f), this, [this, f] { openProject(f); });
    recent_menu_->setEnabled(!files.isEmpty());
}

void MainWindow::refreshPresetMenu() {
    preset_menu_->clear();
    QSet<QString> seen;
    for (const QString& dir : studio::preset_dirs()) {
        for (const QFileInfo& fi : QDir(dir).entryInfoList({QStringLiteral("*.json")}, QDir::Files, QDir::Name)) {
            if (fi.fileName().endsWith(QLatin1String(".schema.json")) || seen.contains(fi.fileName())) continue;
            seen.insert(fi.fileName());
            const QString path = fi.absoluteFilePath();
            QString name = fi.baseName(), tip;
            try {
                const studio::Preset p = studio::load_preset(path);
                name = p.name.isEmpty() ? name : p.name;
                tip = p.description;
            } catch (const std::exception& e) {
                tip = QString::fromUtf8(e.what());
            }
            QAction* a = preset_menu_->addAction(name, this, [this, path] {
                try {
                    const studio::Preset p = studio::load_preset(path);
                    doc_->sealMerging();
                    doc_->setSettings(studio::apply_preset(p, doc_->settings()), tr("preset"));
                    doc_->sealMerging();
                    showMessage(tr("Preset applied: %1").arg(p.name));
                } catch (const std::exception& e) {
                    showMessage(QString::fromUtf8(e.what()), true);
                }
            });
            a->setToolTip(tip);
        }
    }
    preset_menu_->setToolTipsVisible(true);
    preset_menu_->setEnabled(!preset_menu_->isEmpty());
}

void MainWindow::setDocument(std::unique_ptr<Document> doc) {
    autosaver_.reset();
    std::unique_ptr<Document> old = std::move(doc_);
    doc_ = std::move(doc);
    undo_group_->addStack(doc_->undoStack());
    undo_group_->setActiveStack(doc_->undoStack());
    canvas_->setDocument(doc_.get());
    mask_->setDocument(doc_.get());
    pose_->setDocument(doc_.get());
    edges_->setDocument(doc_.get());
    prompt_->setDocument(doc_.get());
    generation_->setDocument(doc_.get());
    connect(doc_->undoStack(), &QUndoStack::cleanChanged, this, &MainWindow::updateTitle);
    connect(doc_.get(), &Document::layerChanged, this, [this](Document::Layer l, QRect, quint32) {
        // The image layer is what live mode writes; everything else the user edits re-runs it.
        if (l != Document::Layer::Image && l != Document::Layer::PoseBackground && live_timer_ &&
            generation_->liveBox()->isChecked())
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

void MainWindow::resizeCanvas(QSize size) {
    // The document's canvas size is fixed, so a new size is a new document carrying the old
    // one's content scaled; its undo history starts afresh.
    DocumentState s = doc_->state();
    const QSize old = s.canvas;
    const double sx = double(size.width()) / old.width(), sy = double(size.height()) / old.height();
    s.canvas = size;
    s.image = scaled_layer(s.image, size);
    s.mask = scaled_layer(s.mask, size).convertToFormat(QImage::Format_Grayscale8);
    s.edges = scaled_layer(s.edges, size).convertToFormat(QImage::Format_Grayscale8);
    for (auto& r : s.regions) r.mask = scaled_layer(r.mask, size).convertToFormat(QImage::Format_Grayscale8);
    for (auto& p : s.people)
        for (int i = 0; i < studio::kPosePointCount; ++i)
            if (studio::PosePoint* k = studio::pose_point(p, i)) {
                k->x = float(k->x * sx);
                k->y = float(k->y * sy);
            }
    setDocument(std::make_unique<Document>(std::move(s)));
}

void MainWindow::setImageLayer(const QImage& image) {
    if (image.size() != doc_->canvasSize()) {
        resizeCanvas(image.size());
        showMessage(tr("Canvas resized to %1×%2").arg(image.width()).arg(image.height()));
    }
    doc_->setImage(image);
}

void MainWindow::loadTokenizer(const QString& model_dir) {
    if (model_dir.isEmpty()) {
        prompt_->setTokenizer(nullptr, 0);
        return;
    }
    auto it = tokenizers_.find(model_dir);
    if (it == tokenizers_.end()) {
        std::shared_ptr<const T5Tokenizer> tok;
        int max_tokens = 120;
        try {
            tok = std::make_shared<const T5Tokenizer>(T5Tokenizer::load((model_dir + "/tokenizer").toStdString()));
            // The pipeline's class says the prompt length: PixArt-Σ reads 300 tokens, α 120.
            QFile f(model_dir + "/model_index.json");
            if (f.open(QIODevice::ReadOnly)) {
                const QString cls = QJsonDocument::fromJson(f.readAll()).object().value("_class_name").toString();
                if (cls == QLatin1String("PixArtSigmaPipeline")) max_tokens = 300;
            }
        } catch (const std::exception& e) {
            showMessage(tr("Tokens not counted: %1").arg(QString::fromUtf8(e.what())), true);
        }
        it = tokenizers_.emplace(model_dir, std::make_pair(tok, max_tokens)).first;
    }
    prompt_->setTokenizer(it->second.first, it->second.second);
}

void MainWindow::showMessage(const QString& text, bool error) {
    status_->setText(text);
    status_->setToolTip(text);
    status_->setStyleSheet(error ? QStringLiteral("color: #ff7b7b;") : QString());
}

void MainWindow::updateBusy() {
    const bool busy = isGenerating();
    cancel_->setEnabled(busy);
    progress_->setVisible(busy);
    eta_->setVisible(busy);
    generation_->setBusy(busy);
}

void MainWindow::updateTitle() {
    const QString name = project_path_.isEmpty() ? tr("Untitled") : QFileInfo(project_path_).fileName();
    setWindowTitle(QStringLiteral("%1%2 — DiT Studio").arg(name, doc_ && doc_->isModified() ? "*" : ""));
}

bool MainWindow::openFile(const QString& path) {
    if (QFileInfo(path).isDir()) return openProject(path);
    try {
        if (path.endsWith(QLatin1String(".png"), Qt::CaseInsensitive)) {
            if (auto r = studio::read_result_parameters(path)) {
                restoreParameters(*r, false);
                showMessage(tr("Parameters restored from %1").arg(QFileInfo(path).fileName()));
                return true;
            }
        }
        QImageReader reader(path);
        reader.setAutoTransform(true);
        const QImage img = reader.read();
        if (img.isNull()) {
            showMessage(tr("%1: %2").arg(QFileInfo(path).fileName(), reader.errorString()), true);
            return false;
        }
        setImageLayer(img);
        showMessage(tr("Opened %1 (%2×%3)").arg(QFileInfo(path).fileName()).arg(img.width()).arg(img.height()));
        return true;
    } catch (const std::exception& e) {
        showMessage(QString::fromUtf8(e.what()), true);
        return false;
    }
}

bool MainWindow::openProject(const QString& folder) {
    try {
        DocumentState s = studio::load_project(folder);
        project_path_ = QFileInfo(folder).absoluteFilePath();
        setDocument(std::make_unique<Document>(std::move(s)));
        recent_->add(project_path_);
        refreshRecentMenu();
        updateTitle();
        showMessage(tr("Opened project %1").arg(QDir::toNativeSeparators(project_path_)));
        return true;
    } catch (const std::exception& e) {
        // The open document is untouched.
        showMessage(tr("Could not open the project: %1").arg(QString::fromUtf8(e.what())), true);
        auto* box = new QMessageBox(QMessageBox::Warning, tr("Open project"),
                                    tr("Could not open the project."), QMessageBox::Ok, this);
        box->setInformativeText(QString::fromUtf8(e.what()));
        box->setAttribute(Qt::WA_DeleteOnClose);
        box->open();  // non-modal to the event loop: the studio keeps running
        return false;
    }
}

bool MainWindow::saveProject(const QString& folder) {
    try {
        doc_->sealMerging();
        studio::save_project(doc_->state(), folder);
        project_path_ = QFileInfo(folder).absoluteFilePath();
        doc_->undoStack()->setClean();
        if (autosaver_) autosaver_->setProjectPath(project_path_);
        recent_->add(project_path_);
        refreshRecentMenu();
        updateTitle();
        showMessage(tr("Saved %1").arg(QDir::toNativeSeparators(project_path_)));
        return true;
    } catch (const std::exception& e) {
        showMessage(tr("Save failed: %1").arg(QString::fromUtf8(e.what())), true);
        return false;
    }
}

void MainWindow::offerRecovery(bool ask) {
    if (!recovery_) return;
    const auto pending = recovery_->pending();
    if (pending.empty()) return;
    const auto& e = pending.front();
    const auto answer = !ask ? QMessageBox::Yes : QMessageBox::question(
        this, tr("Recover"),
        tr("DiT Studio did not close cleanly. Restore the document autosaved at %1?")
            .arg(QLocale().toString(e.saved, QLocale::ShortFormat)),
        QMessageBox::Yes | QMessageBox::No, QMessageBox::Yes);
    try {
        if (answer == QMessageBox::Yes) {
            DocumentState s = recovery_->restore(e);
            project_path_ = e.project_path;
            setDocument(std::make_unique<Document>(std::move(s)));
            doc_->undoStack()->resetClean();  // not saved as a project: closing asks to save
            // The crashed session's autosave is about to go; until the next edit, this session's
            // would be the only copy, so it is written first, and the old one kept if it cannot be.
            try {
                recovery_->save(doc_->state(), project_path_);
            } catch (const std::exception& ex) {
                showMessage(tr("Recovered the autosaved document, but could not autosave it here (%1); "
                               "the crashed session's autosave is kept")
                                .arg(QString::fromUtf8(ex.what())),
                            true);
                return;
            }
            showMessage(tr("Recovered the autosaved document"));
        }
        for (const auto& p : pending) recovery_->discard(p);
    } catch (const std::exception& ex) {
        showMessage(tr("Recovery failed: %1").arg(QString::fromUtf8(ex.what())), true);
    }
}

void MainWindow::closeEvent(QCloseEvent* e) {
    if (doc_ && doc_->isModified()) {
        const auto answer = QMessageBox::question(
            this, tr("Unsaved changes"),
            tr("Save the changes to %1?").arg(project_path_.isEmpty() ? tr("the untitled project") : project_path_),
            QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel);
        QString path = project_path_;
        if (answer == QMessageBox::Save && path.isEmpty())
            path = QFileDialog::getSaveFileName(this, tr("Save project folder"), tr("untitled"));
        if (answer == QMessageBox::Cancel ||
            (answer == QMessageBox::Save && (path.isEmpty() || !saveProject(path)))) {
            e->ignore();
            return;
        }
    }
    worker_->cancelAll();
    e->accept();
}

}  // namespace dit::ui
