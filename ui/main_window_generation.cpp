// MainWindow's generation flow: requests go to the GenerationWorker, whose queued signals bring
// back progress, previews, results, errors and cancellations. Nothing here waits on the engine.
#include <QCheckBox>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QTimer>

#include "engine/error.h"
#include "ui/canvas_view.h"
#include "ui/generation_panel.h"
#include "ui/history_panel.h"
#include "ui/main_window.h"

namespace dit::ui {

using studio::GenerationRequest;
using studio::GenerationResult;
using studio::GenerationMode;
using studio::GenerationSettings;

namespace {

QString format_seconds(double s) {
    if (s < 0) return QObject::tr("…");
    if (s < 60) return QObject::tr("%1 s").arg(s, 0, 'f', s < 10 ? 1 : 0);
    return QObject::tr("%1:%2 min").arg(int(s) / 60).arg(int(s) % 60, 2, 10, QLatin1Char('0'));
}

}  // namespace

// --- Generation: requests go to the worker; everything comes back as queued signals.

void MainWindow::generate() {
    doc_->sealMerging();
    submit(false);
}

void MainWindow::generateLive() { submit(true); }

void MainWindow::submit(bool live) {
    GenerationRequest req;
    try {
        if (doc_->settings().model_dir.isEmpty())
            throw Error("no model folder: choose one in the Generation panel");
        req.request = doc_->toRequest();
    } catch (const std::exception& e) {
        showMessage(QString::fromUtf8(e.what()), true);
        return;
    }
    const quint64 id = live ? worker_->submitLive(std::move(req)) : worker_->submit(std::move(req));
    if (id == 0) {
        showMessage(tr("The generation worker has stopped"), true);
        return;
    }
    active_.insert(id);
    updateBusy();
    showMessage(active_.size() > 1 ? tr("Queued #%1 (%2 waiting)").arg(id).arg(active_.size() - 1)
                                   : tr("Starting #%1…").arg(id));
}

void MainWindow::cancelGeneration() {
    if (!isGenerating()) return;
    worker_->cancelAll();
    showMessage(tr("Cancelling…"));
}

void MainWindow::onStarted(quint64 id) {
    running_ = id;
    progress_->setRange(0, 0);  // busy until the first step (prompt encoding, model loading)
    eta_->setText(tr("loading…"));
    showMessage(tr("Generating #%1").arg(id));
    updateBusy();
}

void MainWindow::onProgress(quint64 id, int step, int steps, double seconds, double eta) {
    if (id != running_) return;
    progress_->setRange(0, steps);
    progress_->setValue(step);
    eta_->setText(tr("%1 · ETA %2").arg(format_seconds(seconds), format_seconds(eta)));
}

void MainWindow::onPreview(quint64 id, const QImage& image, int) {
    if (id != running_) {
        worker_->previewConsumed();
        return;
    }
    canvas_->setPreview(image);
}

void MainWindow::onFinished(const GenerationResult& result) {
    active_.remove(result.id);
    if (result.id == running_) running_ = 0;
    canvas_->setPreview({});
    history_->addResult(result);
    applyResult(history_->count() - 1);
    QString done = tr("#%1 done in %2 (seed %3)").arg(result.id).arg(format_seconds(result.seconds)).arg(result.request.seed);
    if (!result.notice.isEmpty()) done += QStringLiteral(": ") + result.notice;
    showMessage(done);
    updateBusy();
    emit resultApplied(result.id);
    emit generationEnded(result.id);
}

void MainWindow::onFailed(quint64 id, const QString& message) {
    active_.remove(id);
    if (id == running_) running_ = 0;
    canvas_->setPreview({});
    showMessage(tr("#%1 failed: %2").arg(id).arg(message), true);
    updateBusy();
    emit generationEnded(id);
}

void MainWindow::onCancelled(quint64 id) {
    active_.remove(id);
    if (id == running_) running_ = 0;
    if (!running_) canvas_->setPreview({});
    showMessage(tr("#%1 cancelled").arg(id));
    updateBusy();
    emit generationEnded(id);
}

void MainWindow::applyResult(int index) {
    if (index < 0 || index >= history_->count()) return;
    try {
        setImageLayer(history_->result(index).image);
    } catch (const std::exception& e) {
        showMessage(QString::fromUtf8(e.what()), true);
    }
}

// --- Parameters of a result (history or a dropped PNG) back into the document.

void MainWindow::restoreParameters(const dit::Request& r, bool mode_known) {
    doc_->sealMerging();
    doc_->undoStack()->beginMacro(tr("Restore parameters"));
    doc_->setPrompt(QString::fromStdString(r.prompt));
    doc_->setNegativePrompt(QString::fromStdString(r.negative_prompt));
    GenerationSettings s = doc_->settings();
    if (!r.model_dir.empty()) s.model_dir = QString::fromStdString(r.model_dir.string());
    s.width = r.width;
    s.height = r.height;
    s.steps = r.steps;
    s.sampler = QString::fromStdString(r.sampler);
    s.cfg = r.cfg;
    s.seed = r.seed;
    s.random_seed = false;  // restoring means: make this image again
    s.strength = r.strength;
    if (mode_known) s.mode = r.mask ? GenerationMode::Inpaint : r.init_image ? GenerationMode::Img2Img : GenerationMode::Txt2Img;
    if (!r.backend.empty()) s.backend = QString::fromStdString(r.backend);
    // low_vram stays the user's: it is about this machine's memory, not the image (the same either way).
    if (r.mask) {
        s.inpaint_mode = studio::InpaintMode(std::max<qsizetype>(0, QStringList{"full", "crop", "lazy"}.indexOf(
                                                                         QString::fromStdString(r.inpaint_mode))));
        s.lazy_refresh = r.lazy_refresh;
    }
    // The controls' settings (their maps come from the document); a history entry says all.
    if (mode_known || !r.controls.empty()) {
        s.controls.clear();
        for (const auto& c : r.controls)
            s.controls.push_back({QString::fromStdString(c.type), true, c.weight, c.start, c.end});
    }
    doc_->setSettings(s, tr("parameters"));
    doc_->undoStack()->endMacro();
    doc_->sealMerging();
}

}  // namespace dit::ui
