// MainWindow's menus and shortcuts: File, Edit, Tools, View, Generate and Help. Every action has
// an object name (MainWindow::action) and a tooltip; Help › Keyboard shortcuts lists them all.
#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QColorDialog>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDir>
#include <QDockWidget>
#include <QFileDialog>
#include <QInputDialog>
#include <QFileInfo>
#include <QHeaderView>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QSettings>
#include <QTableWidget>
#include <QToolBar>
#include <QUndoGroup>
#include <QVBoxLayout>

#include "studio/gallery/gallery_store.h"
#include "studio/model/model_defaults.h"
#include "studio/project/presets.h"
#include "studio/project/recent_files.h"
#include "ui/canvas_view.h"
#include "ui/extend_canvas_dialog.h"
#include "ui/upscale_dialog.h"
#include "ui/main_window.h"
#include "ui/mask_panel.h"
#include "ui/overlay_colours.h"
#include "ui/tool_bar.h"

namespace dit::ui {

void MainWindow::buildActions() {
    auto add = [this](QMenu* menu, const QString& name, const QString& text, const QList<QKeySequence>& keys,
                      const QString& tip, auto slot) {
        auto* a = new QAction(text, this);
        a->setObjectName(name);
        a->setShortcuts(keys);
        a->setToolTip(tip);
        a->setStatusTip(tip);
        // Window-wide, so the shortcut works whichever dock has focus; text fields still get
        // plain keys first (they accept the shortcut-override for printable characters).
        a->setShortcutContext(Qt::WindowShortcut);
        connect(a, &QAction::triggered, this, slot);
        menu->addAction(a);
        addAction(a);
        return a;
    };

    QMenu* file = menuBar()->addMenu(tr("&File"));
    add(file, "new", tr("&New"), {QKeySequence::New}, tr("A blank canvas at the model's size; prompts and settings stay"),
        [this] { newDocument(); });
    add(file, "open", tr("&Open project…"), {QKeySequence::Open}, tr("Open a project folder"), [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Open project folder"));
        if (!dir.isEmpty() && maybeSave()) openProject(dir);
    });
    recent_menu_ = file->addMenu(tr("Open &recent"));
    add(file, "openImage", tr("Open &image…"), {QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O)},
        tr("Open a picture as the image layer; a DiT Studio result offers its parameters too"), [this] {
            const QString path = QFileDialog::getOpenFileName(this, tr("Open image"), {},
                                                              tr("Images (*.png *.jpg *.jpeg *.webp *.bmp)"));
            if (!path.isEmpty()) openFile(path);
        });
    file->addSeparator();
    add(file, "save", tr("&Save"), {QKeySequence::Save}, tr("Save the project: layers, prompts, settings and results"), [this] {
        QString dir = project_path_;
        if (dir.isEmpty()) dir = QFileDialog::getSaveFileName(this, tr("Save project folder"), tr("untitled"));
        if (!dir.isEmpty()) saveProject(dir);
    });
    add(file, "saveAs", tr("Save &as…"), {QKeySequence::SaveAs}, tr("Save the project in another folder"), [this] {
        const QString dir = QFileDialog::getSaveFileName(this, tr("Save project folder"), project_path_);
        if (!dir.isEmpty()) saveProject(dir);
    });
    add(file, "export", tr("&Export image…"), {QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_E)},
        tr("Save the image layer as a PNG, JPEG or WebP file"), [this] {
            const QString path = QFileDialog::getSaveFileName(this, tr("Export image"), tr("image.png"),
                                                              tr("Images (*.png *.jpg *.jpeg *.webp)"));
            if (!path.isEmpty()) exportImage(path);
        });
    file->addSeparator();
    add(file, "quit", tr("&Quit"), {QKeySequence::Quit}, tr("Quit DiT Studio"), [this] { close(); });

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
    add(edit, "copyImage", tr("&Copy image"), {QKeySequence::Copy}, tr("Copy the image layer to the clipboard"), [this] {
        if (doc_->image().isNull()) return showMessage(tr("There is no image to copy"), true);
        QApplication::clipboard()->setImage(doc_->image());
        showMessage(tr("Image copied"));
    });
    add(edit, "pasteImage", tr("&Paste image"), {QKeySequence::Paste},
        tr("Paste a picture (or an image file) from the clipboard as the image layer"), [this] {
            const QMimeData* mime = QApplication::clipboard()->mimeData();
            if (mime && mime->hasUrls() && mime->urls().front().isLocalFile()) openFile(mime->urls().front().toLocalFile());
            else if (mime && mime->hasImage()) openImage(qvariant_cast<QImage>(mime->imageData()), tr("the pasted picture"));
            else showMessage(tr("The clipboard holds no picture"), true);
        });

    edit->addSeparator();
    add(edit, "extendCanvas", tr("E&xtend canvas…"), {QKeySequence(Qt::CTRL | Qt::ALT | Qt::Key_C)},
        tr("Outpaint: add pixels on any side; Generate fills them and keeps the picture"), [this] {
            ExtendCanvasDialog dialog(doc_->canvasSize(), this);
            if (dialog.exec() == QDialog::Accepted) extendCanvas(dialog.outpaint());
        });

    add(edit, "upscale", tr("&Upscale and refine…"), {QKeySequence(Qt::CTRL | Qt::ALT | Qt::Key_U)},
        tr("Enlarge the image (Lanczos) and refine it by tiles at the model's size"), [this] {
            const studio::ModelDefaults d = studio::model_defaults(doc_->settings().model_dir);
            UpscaleDialog dialog(doc_->canvasSize(), std::min(d.width, d.height), this);
            if (dialog.exec() == QDialog::Accepted)
                upscale(dialog.scale(), float(dialog.strength()), dialog.tile(), dialog.overlap());
        });

    QMenu* layer = menuBar()->addMenu(tr("&Layer"));
    add(layer, "addLayer", tr("&New layer"), {QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_N)},
        tr("A transparent image layer above the selected one"),
        [this] { doc_->addImageLayer(tr("Layer %1").arg(doc_->state().next_layer_id)); });
    add(layer, "duplicateLayer", tr("&Duplicate layer"), {QKeySequence(Qt::CTRL | Qt::Key_J)}, tr("Duplicate the selected layer"),
        [this] {
            if (doc_->imageLayer(doc_->currentLayer())) doc_->duplicateImageLayer(doc_->currentLayer());
        });
    add(layer, "deleteLayer", tr("De&lete layer"), {}, tr("Delete the selected layer"), [this] {
        if (doc_->imageLayer(doc_->currentLayer())) doc_->removeImageLayer(doc_->currentLayer());
    });

    QMenu* select = menuBar()->addMenu(tr("&Select"));
    add(select, "selectAll", tr("Select &all"), {QKeySequence(Qt::CTRL | Qt::Key_A)}, tr("Select the whole canvas"),
        [this] { doc_->selectAll(); });
    add(select, "selectNone", tr("Select &none"), {QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_A)}, tr("Drop the selection"),
        [this] { doc_->selectNone(); });
    add(select, "invertSelection", tr("&Invert selection"), {QKeySequence(Qt::CTRL | Qt::Key_I)},
        tr("Select what is not selected"), [this] { doc_->invertSelection(); });
    add(select, "featherSelection", tr("&Feather selection…"), {QKeySequence(Qt::SHIFT | Qt::Key_F6)},
        tr("Soften the selection's edge by some pixels"), [this] {
            bool ok = false;
            const int px = QInputDialog::getInt(this, tr("Feather selection"), tr("Feather (px):"), 8, 1, 256, 1, &ok);
            if (ok) doc_->featherSelection(px);
        });
    select->addSeparator();
    add(select, "selectionToMask", tr("Selection to &mask"), {}, tr("The inpaint mask becomes the selection"),
        [this] { doc_->selectionToMask(); });
    add(select, "maskToSelection", tr("Mask to se&lection"), {}, tr("The selection becomes the inpaint mask"),
        [this] { doc_->maskToSelection(); });
    select->addSeparator();
    add(select, "inpaintSelection", tr("Inpaint &selection"), {QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Return)},
        tr("Regenerate the selected area (the mask layer and the mode stay as they are)"), [this] {
            doc_->sealMerging();
            submit(false, true);
        });
    for (CanvasTool t : {CanvasTool::SelectRect, CanvasTool::SelectEllipse, CanvasTool::SelectLasso}) {
        select->addAction(tools_->toolAction(t));
        addAction(tools_->toolAction(t));
    }

    QMenu* tools = menuBar()->addMenu(tr("&Tools"));
    for (CanvasTool t : {CanvasTool::Paint, CanvasTool::Eyedropper, CanvasTool::Fill}) {
        tools->addAction(tools_->toolAction(t));
        addAction(tools_->toolAction(t));
    }
    for (CanvasTool t : {CanvasTool::Mask, CanvasTool::Edges, CanvasTool::Region, CanvasTool::Pose}) {
        tools->addAction(tools_->toolAction(t));
        addAction(tools_->toolAction(t));
    }
    tools->addAction(tools_->eraserAction());
    addAction(tools_->eraserAction());
    tools->addSeparator();
    add(tools, "brushSmaller", tr("Brush smaller"), {QKeySequence(Qt::Key_BracketLeft)}, tr("Shrink the active brush"),
        [this] { canvas_->setBrushSize(canvas_->brush().size() / 1.2); });
    add(tools, "brushLarger", tr("Brush larger"), {QKeySequence(Qt::Key_BracketRight)}, tr("Grow the active brush"),
        [this] { canvas_->setBrushSize(canvas_->brush().size() * 1.2); });

    view_menu_ = menuBar()->addMenu(tr("&View"));
    QMenu* view = view_menu_;
    add(view, "zoomIn", tr("Zoom &in"), {QKeySequence::ZoomIn, QKeySequence(Qt::Key_Plus), QKeySequence(Qt::Key_Equal)},
        tr("Zoom in"), [this] { canvas_->zoomIn(); });
    add(view, "zoomOut", tr("Zoom &out"), {QKeySequence::ZoomOut, QKeySequence(Qt::Key_Minus)}, tr("Zoom out"),
        [this] { canvas_->zoomOut(); });
    add(view, "fit", tr("&Fit to window"), {QKeySequence(Qt::CTRL | Qt::Key_0)}, tr("Fit the canvas to the window"),
        [this] { canvas_->fitToWindow(); });
    add(view, "actualPixels", tr("Actual &pixels"), {QKeySequence(Qt::CTRL | Qt::Key_1)}, tr("One image pixel per screen pixel"),
        [this] { canvas_->setZoom(1, canvas_->rect().center()); });
    view->addSeparator();
    add(view, "maskColour", tr("&Mask colour…"), {}, tr("The colour the inpaint mask is shown in"),
        [this] { chooseMaskColour(); });
    view->addSeparator();
    for (QDockWidget* d : docks_) view->addAction(d->toggleViewAction());
    view->addAction(tools_->toggleViewAction());
    view->addSeparator();
    add(view, "resetLayout", tr("&Reset layout"), {}, tr("Put the panels back where they start"), [this] { resetLayout(); });

    QMenu* gen = menuBar()->addMenu(tr("&Generate"));
    add(gen, "generate", tr("&Generate"), {QKeySequence(Qt::CTRL | Qt::Key_Return), QKeySequence(Qt::CTRL | Qt::Key_Enter)},
        tr("Generate with the prompt and settings"), &MainWindow::generate);
    add(gen, "cancel", tr("&Cancel"), {QKeySequence(Qt::Key_Escape)}, tr("Cancel the running and queued generations"),
        &MainWindow::cancelGeneration);
    add(gen, "live", tr("&Live mode"), {QKeySequence(Qt::CTRL | Qt::Key_L)}, tr("Regenerate on every edit"),
        [this] { live_->toggle(); });
    add(gen, "remoteQueue", tr("&Remote queue…"), {}, tr("Where the Remote queue backend sends generations"),
        &MainWindow::editRemoteQueue);
    gen->addSeparator();
    preset_menu_ = gen->addMenu(tr("&Presets"));
    add(gen, "savePreset", tr("Save settings as preset…"), {}, tr("Save the generation settings as a preset file"), [this] {
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
    buildHelpMenu();
    refreshRecentMenu();
    refreshPresetMenu();
}

void MainWindow::buildHelpMenu() {
    QMenu* help = menuBar()->addMenu(tr("&Help"));
    auto* start = help->addAction(tr("&Getting started"));
    start->setObjectName("gettingStarted");
    start->setShortcut(QKeySequence::HelpContents);
    connect(start, &QAction::triggered, this, [this] {
        auto* box = new QMessageBox(QMessageBox::Information, tr("Getting started"), tr("DiT Studio in five steps"),
                                    QMessageBox::Close, this);
        box->setInformativeText(tr(
            "<ol><li><b>Generate</b>: write what you want in <i>Prompt</i> and press <b>Generate</b> (Ctrl+Enter). "
            "The picture forms on the canvas step by step; the result lands in the <i>Gallery</i> below.</li>"
            "<li><b>Change part of it</b>: pick the <b>Mask</b> tool (M), paint over what should change, set "
            "<i>Mode</i> to inpaint and generate again. Everything outside the mask stays exactly as it was.</li>"
            "<li><b>Place things</b>: press <b>R</b> to add a regional prompt, paint where it applies and describe it.</li>"
            "<li><b>Guide the shape</b>: draw edges (D) or pose a skeleton (P), then add the control in "
            "<i>Generation › Controls</i>.</li>"
            "<li><b>Keep it</b>: Ctrl+S saves the project with every result; every result is also kept in the "
            "gallery folder (<i>All results</i>), even unsaved.</li></ol>"
            "Turn on <b>Live</b> to regenerate on every edit. Help › Keyboard shortcuts lists every key."));
        box->setAttribute(Qt::WA_DeleteOnClose);
        box->open();
    });
    auto* keys = help->addAction(tr("&Keyboard shortcuts"));
    keys->setObjectName("shortcuts");
    keys->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Slash));
    connect(keys, &QAction::triggered, this, [this] {
        auto* dialog = new QDialog(this);
        dialog->setWindowTitle(tr("Keyboard shortcuts"));
        dialog->setAttribute(Qt::WA_DeleteOnClose);
        auto* v = new QVBoxLayout(dialog);
        auto* table = new QTableWidget(0, 2, dialog);
        table->setHorizontalHeaderLabels({tr("Action"), tr("Keys")});
        table->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);
        table->verticalHeader()->hide();
        table->setEditTriggers(QAbstractItemView::NoEditTriggers);
        for (QAction* a : actions()) {
            if (a->shortcuts().isEmpty()) continue;
            QStringList k;
            for (const QKeySequence& s : a->shortcuts()) k << s.toString(QKeySequence::NativeText);
            const int row = table->rowCount();
            table->insertRow(row);
            table->setItem(row, 0, new QTableWidgetItem(a->text().remove('&')));
            table->setItem(row, 1, new QTableWidgetItem(k.join(QStringLiteral(", "))));
        }
        for (const auto& [what, how] : {std::pair{tr("Pan"), tr("Space + drag, or the middle button")},
                                        {tr("Zoom about the cursor"), tr("Ctrl + wheel")}}) {
            const int row = table->rowCount();
            table->insertRow(row);
            table->setItem(row, 0, new QTableWidgetItem(what));
            table->setItem(row, 1, new QTableWidgetItem(how));
        }
        v->addWidget(table);
        auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, dialog);
        connect(buttons, &QDialogButtonBox::rejected, dialog, &QDialog::close);
        v->addWidget(buttons);
        dialog->resize(520, 560);
        dialog->open();
    });
    auto* about = help->addAction(tr("&About DiT Studio"));
    about->setObjectName("about");
    connect(about, &QAction::triggered, this, [this] {
        QMessageBox::about(this, tr("About DiT Studio"),
                           tr("<b>DiT Studio %1</b><br>Controllable image generation on its own diffusion-transformer "
                              "engine.<br>Gallery folder: %2")
                               .arg(QApplication::applicationVersion(), QDir::toNativeSeparators(galleryStore()->dir())));
    });
    for (QAction* a : {start, keys}) addAction(a);
}

void MainWindow::chooseMaskColour() {
    const QColor c = QColorDialog::getColor(canvas_->maskTint(), this, tr("Mask colour"));
    if (!c.isValid()) return;
    for (const auto& r : doc_->regions())
        if (colours_collide(c, r.colour))
            return showMessage(tr("%1 is too close to the colour of region \"%2\": the mask would read as that region")
                                   .arg(c.name(), r.prompt.left(40)),
                               true);
    canvas_->setMaskTint(c);
    mask_->updateColour();
    QSettings().setValue(QStringLiteral("canvas/maskColour"), c);
}

void MainWindow::refreshRecentMenu() {
    recent_menu_->clear();
    const QStringList files = recent_->prune();
    for (const QString& f : files)
        recent_menu_->addAction(QDir::toNativeSeparators(f), this, [this, f] {
            if (maybeSave()) openProject(f);
        });
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

}  // namespace dit::ui
