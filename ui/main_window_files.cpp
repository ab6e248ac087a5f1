// MainWindow's files: opening pictures, results and projects, saving, File › New and Export,
// crash recovery, and never losing unsaved work on the way out.
#include <QCheckBox>
#include <QCloseEvent>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QImageReader>
#include <QImageWriter>
#include <QMessageBox>
#include <QPushButton>
#include <QSaveFile>

#include "studio/document/extend_canvas.h"
#include "studio/document/resize_canvas.h"
#include "studio/model/model_defaults.h"
#include "studio/project/project_file.h"
#include "studio/project/recent_files.h"
#include "studio/project/recovery.h"
#include "studio/result_png.h"
#include "ui/layers_panel.h"
#include "ui/main_window.h"

namespace dit::ui {

using studio::Document;
using studio::DocumentState;
using studio::GenerationSettings;

using studio::generation_size;

void MainWindow::resizeCanvas(DocumentState resized) {
    // One undo step: the content scaled, the generation size following (the Generation panel
    // shows it); the results stay.
    const QSize size = resized.canvas;
    doc_->changeCanvas(std::move(resized), tr("Canvas size %1×%2").arg(size.width()).arg(size.height()));
}

void MainWindow::setImageLayer(const QImage& image, const QString& name) {
    // Live mode replaces what it drew last: a layer per keystroke would bury the picture.
    const bool as_layer = layers_->resultsAsNewLayers() && !(live_ && live_->isChecked());
    if (image.size() == doc_->canvasSize()) {
        doc_->placeImage(image, as_layer, name);
        return;
    }
    // A result of another size (an upscale): the new size and the result are one undo step. The
    // scaled document is made first: a size it refuses throws before the step begins.
    DocumentState resized = studio::resized_canvas(doc_->state(), image.size());
    doc_->sealMerging();
    doc_->undoStack()->beginMacro(name);
    resizeCanvas(std::move(resized));
    doc_->placeImage(image, as_layer, name);
    doc_->undoStack()->endMacro();
    doc_->sealMerging();
}

bool MainWindow::openImage(const QImage& image, const QString& what) {
    if (image.isNull()) {
        showMessage(tr("%1 is not a picture this studio can read").arg(what), true);
        return false;
    }
    try {
        offered_.reset();
        restore_offer_->hide();
        // The picture and the size that follows it are one undo step (a size the scaled document
        // refuses throws before it begins).
        std::optional<DocumentState> resized;
        if (image.size() != doc_->canvasSize()) resized = studio::resized_canvas(doc_->state(), image.size());
        doc_->sealMerging();
        doc_->undoStack()->beginMacro(tr("Open image"));
        if (resized) resizeCanvas(std::move(*resized));
        doc_->setImage(image);
        GenerationSettings s = doc_->settings();
        const QSize gen = generation_size(image.size());
        s.width = gen.width();
        s.height = gen.height();
        if (!(s == doc_->settings())) doc_->setSettings(s, tr("size"));
        doc_->undoStack()->endMacro();
        doc_->sealMerging();
        QString text = tr("Opened %1 (%2×%3)").arg(what).arg(image.width()).arg(image.height());
        if (gen != image.size()) text += tr("; it generates at %1×%2, the nearest size the model takes").arg(gen.width()).arg(gen.height());
        showMessage(text);
        return true;
    } catch (const std::exception& e) {
        showMessage(QString::fromUtf8(e.what()), true);
        return false;
    }
}

bool MainWindow::openFile(const QString& path) {
    if (QFileInfo(path).isDir()) return maybeSave() && openProject(path);
    const QString name = QFileInfo(path).fileName();
    // A result PNG is a picture first; its parameters are offered, not forced.
    std::optional<dit::Request> params;
    QString params_problem;
    if (path.endsWith(QLatin1String(".png"), Qt::CaseInsensitive)) {
        try {
            params = studio::read_result_parameters(path);
        } catch (const std::exception& e) {
            params_problem = QString::fromUtf8(e.what());
        }
    }
    QImageReader reader(path);
    reader.setAutoTransform(true);
    const QImage img = reader.read();
    if (img.isNull()) {
        showMessage(tr("%1: %2").arg(name, reader.errorString()), true);
        return false;
    }
    if (!openImage(img, name)) return false;
    if (params) {
        shown_result_ = studio::GalleryItem{img.convertToFormat(QImage::Format_RGB888), {}, *params};
        shown_result_->file = path;
        offerParameters(*params, name);
    } else if (!params_problem.isEmpty()) {
        showMessage(tr("Opened %1, but its parameters are unreadable: %2").arg(name, params_problem), true);
    }
    return true;
}

void MainWindow::offerParameters(const dit::Request& request, const QString& from) {
    offered_ = request;
    restore_offer_->show();
    QString prompt = QString::fromStdString(request.prompt);
    if (prompt.size() > 60) prompt = prompt.left(57) + "…";
    showMessage(tr("Opened %1, a DiT Studio result (\"%2\"): its parameters can be restored").arg(from, prompt));
}

bool MainWindow::openProject(const QString& folder) {
    try {
        QStringList warnings;
        DocumentState s = studio::load_project(folder, &warnings);
        project_path_ = QFileInfo(folder).absoluteFilePath();
        setDocument(std::make_unique<Document>(std::move(s)));
        offered_.reset();
        restore_offer_->hide();
        recent_->add(project_path_);
        refreshRecentMenu();
        updateTitle();
        if (warnings.isEmpty()) showMessage(tr("Opened project %1").arg(QDir::toNativeSeparators(project_path_)));
        else showMessage(tr("Opened project %1, without %n result(s): %2", nullptr, int(warnings.size()))
                             .arg(QDir::toNativeSeparators(project_path_), warnings.front()), true);
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
        doc_->markSaved();
        if (autosaver_) autosaver_->setProjectPath(project_path_);
        recent_->add(project_path_);
        refreshRecentMenu();
        updateTitle();
        showMessage(tr("Saved %1 (%n result(s))", nullptr, int(doc_->results().size())).arg(QDir::toNativeSeparators(project_path_)));
        return true;
    } catch (const std::exception& e) {
        showMessage(tr("Save failed: %1").arg(QString::fromUtf8(e.what())), true);
        return false;
    }
}

bool MainWindow::newDocument(bool ask) {
    if (ask && !maybeSave()) return false;
    const studio::ModelDefaults d = studio::model_defaults(doc_->settings().model_dir);
    DocumentState s = DocumentState::blank(QSize(d.width, d.height));
    s.settings = doc_->settings();
    s.settings.width = d.width;
    s.settings.height = d.height;
    s.prompt = doc_->prompt();
    s.negative_prompt = doc_->negativePrompt();
    project_path_.clear();
    setDocument(std::make_unique<Document>(std::move(s)));
    offered_.reset();
    restore_offer_->hide();
    showMessage(tr("New %1×%2 canvas").arg(d.width).arg(d.height));
    return true;
}

bool MainWindow::extendCanvas(const dit::Outpaint& o) {
    if (o.empty()) {
        showMessage(tr("Extend canvas: nothing to add"), true);
        return false;
    }
    try {
        doc_->changeCanvas(studio::extend_canvas(doc_->state(), o), tr("Extend canvas"));
        const QSize size = doc_->canvasSize();
        showMessage(tr("Canvas extended to %1×%2: the new area is masked; Generate fills it and keeps the picture")
                        .arg(size.width()).arg(size.height()));
        return true;
    } catch (const std::exception& e) {
        showMessage(QString::fromUtf8(e.what()), true);
        return false;
    }
}

bool MainWindow::exportImage(const QString& path) {
    if (doc_->image().isNull()) {
        showMessage(tr("There is no image to export: generate or open one first"), true);
        return false;
    }
    try {
        const bool png = path.endsWith(QLatin1String(".png"), Qt::CaseInsensitive);
        if (png && shown_result_ && shown_result_->image == doc_->image()) {
            studio::save_result_png(path, *shown_result_);
        } else {
            QSaveFile f(path);
            if (!f.open(QIODevice::WriteOnly)) throw std::runtime_error((path + ": cannot write: " + f.errorString()).toStdString());
            QImageWriter w(&f, QFileInfo(path).suffix().toLower().toLatin1());
            w.setQuality(95);
            if (!w.write(doc_->image())) {
                f.cancelWriting();
                throw std::runtime_error((path + ": " + w.errorString()).toStdString());
            }
            if (!f.commit()) throw std::runtime_error((path + ": cannot write: " + f.errorString()).toStdString());
        }
        showMessage(tr("Exported %1").arg(QDir::toNativeSeparators(path)));
        return true;
    } catch (const std::exception& e) {
        showMessage(QString::fromUtf8(e.what()), true);
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
            doc_->markUnsaved();  // not saved as a project: closing asks to save
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
            showMessage(tr("Recovered the autosaved document (%n result(s))", nullptr, int(doc_->results().size())));
        }
        for (const auto& p : pending) recovery_->discard(p);
    } catch (const std::exception& ex) {
        showMessage(tr("Recovery failed: %1").arg(QString::fromUtf8(ex.what())), true);
    }
}

bool MainWindow::maybeSave() {
    if (!doc_ || !doc_->isModified()) return true;
    const int results = doc_->unsavedResults();
    QString text = tr("Save the changes to %1?").arg(project_path_.isEmpty() ? tr("the untitled project") : project_path_);
    if (results > 0)
        text += QLatin1Char('\n') + tr("%n result(s) are not in a saved project yet (they stay in the gallery folder).",
                                       nullptr, results);
    const auto answer = QMessageBox::question(this, tr("Unsaved work"), text,
                                              QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel);
    if (answer == QMessageBox::Cancel) return false;
    if (answer == QMessageBox::Discard) return true;
    QString path = project_path_;
    if (path.isEmpty()) path = QFileDialog::getSaveFileName(this, tr("Save project folder"), tr("untitled"));
    return !path.isEmpty() && saveProject(path);
}

void MainWindow::closeEvent(QCloseEvent* e) {
    if (!maybeSave()) {
        e->ignore();
        return;
    }
    saveLayout();
    for (auto* w : workers()) w->cancelAll();
    e->accept();
}

}  // namespace dit::ui
