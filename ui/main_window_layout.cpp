// MainWindow's layout: the tool bar, the Generate bar, the docks, the default arrangement for
// the window's size, and remembering the user's arrangement between starts.
#include <QCheckBox>
#include <QDockWidget>
#include <QGuiApplication>
#include <QLabel>
#include <QListWidget>
#include <QProgressBar>
#include <QPushButton>
#include <QScreen>
#include <QScrollArea>
#include <QScrollBar>
#include <QSettings>
#include <QStackedWidget>
#include <QGridLayout>
#include <QToolBar>
#include <QVBoxLayout>

#include "studio/gallery/gallery_store.h"
#include "ui/brush_options.h"
#include "ui/colour_options.h"
#include "ui/canvas_view.h"
#include "ui/edges_panel.h"
#include "ui/gallery_panel.h"
#include "ui/generation_panel.h"
#include "ui/layers_panel.h"
#include "ui/main_window.h"
#include "ui/mask_panel.h"
#include "ui/pose_panel.h"
#include "ui/prompt_panel.h"
#include "ui/region_editor.h"
#include "ui/tool_bar.h"

namespace dit::ui {

namespace {

// Saved states of an older layout (other docks) are not restored; bump with the docks.
constexpr int kLayoutVersion = 3;
// Below this width the left docks join the right column as tabs, so the canvas keeps its share.
constexpr int kCompactWidth = 1100;

}  // namespace

void MainWindow::buildBars() {
    tools_ = new CanvasToolBar(canvas_, this);
    addToolBar(Qt::LeftToolBarArea, tools_);

    // Generate, Live, progress and Cancel on a bar of their own: in view at every window size.
    generate_bar_ = new QToolBar(tr("Generate"), this);
    generate_bar_->setObjectName(QStringLiteral("GenerateBar"));
    generate_bar_->setMovable(false);
    generate_ = new QPushButton(tr("Generate"), this);
    generate_->setToolTip(tr("Generate with the prompt and settings (Ctrl+Enter); while one runs, queue another"));
    generate_->setMinimumSize(132, 30);
    generate_->setStyleSheet(QStringLiteral(
        "QPushButton { background: #2a82da; color: white; font-weight: bold; border-radius: 4px; padding: 0 14px; }"
        "QPushButton:hover { background: #3b93eb; } QPushButton:pressed { background: #1f6fc0; }"));
    live_ = new QCheckBox(tr("Live"), this);
    live_->setToolTip(tr("Live mode (Ctrl+L): every edit of the prompt, settings, mask or pose starts a new "
                         "generation that supersedes the running one; the seed stays fixed meanwhile"));
    progress_ = new QProgressBar(this);
    progress_->setMaximumWidth(220);
    progress_->setMinimumWidth(120);
    progress_->setTextVisible(true);
    progress_->setFormat(QStringLiteral("%v / %m"));
    progress_->setToolTip(tr("Steps of the running generation"));
    eta_ = new QLabel(this);
    eta_->setMinimumWidth(120);
    eta_->setToolTip(tr("Time so far and the estimated time left"));
    cancel_ = new QPushButton(tr("Cancel"), this);
    cancel_->setToolTip(tr("Cancel the running and queued generations (Esc)"));
    generate_bar_->addWidget(generate_);
    generate_bar_->addWidget(live_);
    generate_bar_->addSeparator();
    // A tool bar shows and hides its widgets through their actions.
    progress_action_ = generate_bar_->addWidget(progress_);
    eta_action_ = generate_bar_->addWidget(eta_);
    generate_bar_->addWidget(cancel_);
    addToolBar(Qt::TopToolBarArea, generate_bar_);
    connect(generate_, &QPushButton::clicked, this, &MainWindow::generate);
    connect(cancel_, &QPushButton::clicked, this, &MainWindow::cancelGeneration);
}

void MainWindow::buildDocks() {
    auto dock = [this](QWidget* w, const QString& title, const QString& name) {
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
        docks_.push_back(d);
        return d;
    };
    generation_ = new GenerationPanel(this);
    prompt_ = new PromptPanel(canvas_, this);
    layers_ = new LayersPanel(canvas_, this);
    mask_ = new MaskPanel(canvas_, this);
    pose_ = new PosePanel(canvas_, this);
    edges_ = new EdgesPanel(canvas_, this);
    gallery_panel_ = new GalleryPanel(this);
    gallery_panel_->setStore(gallery_.get());

    // Tool options: the active brush's settings, then the active tool's own page.
    auto* options = new QWidget(this);
    auto* ov = new QVBoxLayout(options);
    brush_options_ = new BrushOptions(canvas_, options);
    tool_pages_ = new QStackedWidget(options);
    auto* region_page = new QLabel(tr("The region brush paints the selected regional prompt's area. Add, select "
                                      "and describe regions in the Prompt panel."), options);
    region_page->setWordWrap(true);
    region_page->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    colour_options_ = new ColourOptions(canvas_, options);
    // The selection tools' page: what a selection is for, and its operations (the Select menu's).
    auto* select_page = new QWidget(options);
    {
        auto* g = new QGridLayout(select_page);
        g->setContentsMargins(0, 0, 0, 0);
        auto* about = new QLabel(tr("Drag to select; the selection is outlined in dashes. Inpaint selection "
                                    "regenerates it and leaves the mask layer alone."), select_page);
        about->setWordWrap(true);
        g->addWidget(about, 0, 0, 1, 3);
        int at = 3;
        auto op = [&](const QString& text, const QString& tip, auto f) {
            auto* b = new QPushButton(text, select_page);
            b->setToolTip(tip);
            connect(b, &QPushButton::clicked, this, f);
            g->addWidget(b, at / 3, at % 3);
            ++at;
            return b;
        };
        op(tr("All"), tr("Select the whole canvas (Ctrl+A)"), [this] { doc_->selectAll(); });
        op(tr("None"), tr("Drop the selection (Ctrl+Shift+A)"), [this] { doc_->selectNone(); });
        op(tr("Invert"), tr("Select what is not selected (Ctrl+I)"), [this] { doc_->invertSelection(); });
        op(tr("Feather 8"), tr("Soften the selection's edge by 8 px (Select › Feather… for another width)"),
           [this] { doc_->featherSelection(8); });
        op(tr("To mask"), tr("The inpaint mask becomes the selection"), [this] { doc_->selectionToMask(); });
        op(tr("From mask"), tr("The selection becomes the inpaint mask"), [this] { doc_->maskToSelection(); });
        auto* inpaint = new QPushButton(tr("Inpaint selection"), select_page);
        inpaint->setToolTip(tr("Regenerate the selected area (Ctrl+Shift+Enter)"));
        connect(inpaint, &QPushButton::clicked, this, [this] {
            doc_->sealMerging();
            submit(false, true);
        });
        g->addWidget(inpaint, at / 3 + 1, 0, 1, 3);
        g->setRowStretch(at / 3 + 2, 1);
    }
    for (QWidget* page : {static_cast<QWidget*>(mask_), static_cast<QWidget*>(edges_), static_cast<QWidget*>(region_page),
                          static_cast<QWidget*>(pose_), static_cast<QWidget*>(colour_options_), select_page})
        tool_pages_->addWidget(page);
    ov->addWidget(brush_options_);
    ov->addWidget(tool_pages_, 1);
    auto page_for = [](CanvasTool t) {
        return t == CanvasTool::Edges ? 1 : t == CanvasTool::Region ? 2 : t == CanvasTool::Pose ? 3 : CanvasView::colourTool(t) ? 4
               : CanvasView::selectTool(t)                                                            ? 5
                                                                                                      : 0;
    };
    // No page widens the dock (the canvas must not jump when the tool changes), and only the
    // shown page's height counts, so a short page does not scroll for a tall one.
    auto show_page = [this](int index) {
        for (int i = 0; i < tool_pages_->count(); ++i)
            tool_pages_->widget(i)->setSizePolicy(QSizePolicy::Ignored, i == index ? QSizePolicy::Preferred : QSizePolicy::Ignored);
        tool_pages_->setCurrentIndex(index);
        tool_pages_->adjustSize();
    };
    show_page(0);
    connect(canvas_, &CanvasView::toolChanged, this, [this, page_for, show_page](CanvasTool t) {
        show_page(page_for(t));
        brush_options_->setVisible(CanvasView::paints(t));
    });

    dock(options, tr("Tool options"), QStringLiteral("ToolOptionsDock"));
    dock(layers_, tr("Layers"), QStringLiteral("LayersDock"));
    dock(prompt_, tr("Prompt"), QStringLiteral("PromptDock"));
    dock(generation_, tr("Generation"), QStringLiteral("GenerationDock"));
    dock(gallery_panel_, tr("Gallery"), QStringLiteral("GalleryDock"));
    // The gallery shows whole thumbnails, never a sliver of them.
    docks_.back()->setMinimumHeight(gallery_panel_->list()->minimumHeight() + 40);

    connect(pose_, &PosePanel::message, this, &MainWindow::showMessage);
    connect(edges_, &EdgesPanel::message, this, &MainWindow::showMessage);
    connect(gallery_panel_, &GalleryPanel::message, this, &MainWindow::showMessage);
    connect(gallery_panel_, &GalleryPanel::openRequested, this, [this](const studio::GalleryItem& r) { useResult(r, false); });
    connect(gallery_panel_, &GalleryPanel::initRequested, this, [this](const studio::GalleryItem& r) { useResult(r, true); });
    connect(gallery_panel_, &GalleryPanel::restoreRequested, this, [this](const studio::GalleryItem& r) {
        // A result made in this session still holds its inputs, so its request tells the mode.
        restoreParameters(r.request, r.id != 0);
        showMessage(tr("Parameters restored (seed %1)").arg(r.request.seed));
    });
    connect(gallery_panel_, &GalleryPanel::saveRequested, this, &MainWindow::saveResultAs);
    connect(gallery_panel_, &GalleryPanel::compareChanged, canvas_, &CanvasView::setCompareImage);
    connect(prompt_->regionEditor(), &RegionEditor::message, this, &MainWindow::showMessage);
    connect(mask_, &MaskPanel::colourRequested, this, &MainWindow::chooseMaskColour);
    // The region brush with no region to paint adds one, as "Add" does, and goes on painting it.
    connect(tools_, &CanvasToolBar::regionToolRequested, this, [this] {
        RegionEditor* ed = prompt_->regionEditor();
        if (doc_->region(ed->selectedRegion())) ed->paintButton()->setChecked(true);
        else ed->addButton()->click();
    });
    // Choosing a tool brings its options forward.
    connect(canvas_, &CanvasView::toolChanged, this, [this](CanvasTool t) {
        docks_[t == CanvasTool::Region ? 2 : 0]->raise();
    });
    connect(generation_, &GenerationPanel::modelDirChanged, this, &MainWindow::loadTokens);
}

void MainWindow::resetLayout() {
    QDockWidget *tool = docks_[0], *layers = docks_[1], *prompt = docks_[2], *gen = docks_[3], *gallery = docks_[4];
    for (QDockWidget* d : docks_) {
        removeDockWidget(d);
        d->setFloating(false);
    }
    const QSize screen = QGuiApplication::primaryScreen() ? QGuiApplication::primaryScreen()->availableSize() : size();
    const bool compact = std::min(width(), screen.width()) < kCompactWidth;
    addDockWidget(Qt::RightDockWidgetArea, prompt);
    addDockWidget(Qt::RightDockWidgetArea, gen);
    splitDockWidget(prompt, gen, Qt::Vertical);
    addDockWidget(Qt::BottomDockWidgetArea, gallery);
    if (compact) {
        tabifyDockWidget(gen, tool);
        tabifyDockWidget(tool, layers);
        gen->raise();
    } else {
        addDockWidget(Qt::LeftDockWidgetArea, tool);
        addDockWidget(Qt::LeftDockWidgetArea, layers);
        splitDockWidget(tool, layers, Qt::Vertical);
        resizeDocks({tool, layers}, {520, 200}, Qt::Vertical);
        resizeDocks({tool}, {250}, Qt::Horizontal);
    }
    for (QDockWidget* d : docks_) d->show();
    resizeDocks({prompt}, {compact ? 300 : 350}, Qt::Horizontal);
    resizeDocks({prompt, gen}, {300, 500}, Qt::Vertical);
    resizeDocks({gallery}, {compact ? 150 : 180}, Qt::Vertical);
}

void MainWindow::saveLayout() const {
    if (!options_.remember_layout) return;
    QSettings s;
    s.setValue(QStringLiteral("window/geometry"), saveGeometry());
    s.setValue(width() < kCompactWidth ? QStringLiteral("window/state-compact") : QStringLiteral("window/state"),
               saveState(kLayoutVersion));
}

void MainWindow::restoreLayout() {
    QSettings s;
    const QByteArray geometry = s.value(QStringLiteral("window/geometry")).toByteArray();
    if (!geometry.isEmpty() && restoreGeometry(geometry)) {
        // A window saved on a larger screen (or placed by another window manager) is brought
        // back onto this one whole.
        if (const QScreen* screen = QGuiApplication::primaryScreen()) {
            const QRect avail = screen->availableGeometry();
            if (!avail.contains(frameGeometry())) {
                resize(size().boundedTo(avail.size() - (frameGeometry().size() - size())));
                move(avail.topLeft());
            }
        }
    }
    // A small screen and a large one each keep their own arrangement (a laptop on and off its
    // monitor): a wide layout squeezed onto 800 px would push the docks off the screen.
    restoreState(s.value(width() < kCompactWidth ? QStringLiteral("window/state-compact") : QStringLiteral("window/state"))
                     .toByteArray(),
                 kLayoutVersion);
}

}  // namespace dit::ui
