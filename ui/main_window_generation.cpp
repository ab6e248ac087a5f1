// MainWindow's generation flow: requests go to the GenerationWorker, whose queued signals bring
// back progress, previews, results, errors and cancellations. Nothing here waits on the engine.
// Every result is written to the per-user gallery at once and joins the document's results.
#include <QCheckBox>
#include <QDir>
#include <QFileDialog>
#include <QInputDialog>
#include <QLineEdit>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QRandomGenerator>
#include <QTimer>
#include <algorithm>
#include <cmath>

#include "studio/gallery/gallery_store.h"
#include "studio/remote/remote_generation_worker.h"
#include "studio/result_png.h"
#include "ui/canvas_view.h"
#include "ui/gallery_panel.h"
#include "ui/main_window.h"

namespace dit::ui {

using studio::Document;
using studio::GalleryItem;
using studio::GenerationMode;
using studio::GenerationRequest;
using studio::GenerationResult;
using studio::GenerationSettings;

namespace {

QString format_seconds(double s) {
    if (s < 0) return QObject::tr("…");
    if (s < 60) return QObject::tr("%1 s").arg(s, 0, 'f', s < 10 ? 1 : 0);
    return QObject::tr("%1:%2 min").arg(int(s) / 60).arg(int(s) % 60, 2, 10, QLatin1Char('0'));
}

}  // namespace

void MainWindow::generate() {
    doc_->sealMerging();
    submit(false);
}

void MainWindow::generateLive() { submit(true); }

void MainWindow::submit(bool live, bool selection) {
    if (doc_->settings().model_dir.isEmpty()) {
        showMessage(tr("No model folder: choose one in the Generation panel"), true);
        return;
    }
    // Live mode keeps one seed while it is on: an edit should change the picture, not the noise.
    std::optional<quint64> seed;
    if (live && doc_->settings().random_seed) {
        if (!live_seed_) live_seed_ = QRandomGenerator::global()->generate64() >> 1;
        seed = live_seed_;
    }
    GenerationRequest req;
    try {
        req.request = selection ? doc_->toInpaintSelectionRequest(seed) : doc_->toRequest(seed);
    } catch (const std::exception& e) {
        showMessage(QString::fromUtf8(e.what()), true);
        return;
    }
    req.id = next_request_id_++;
    req.batch = live ? 1 : doc_->settings().batch;  // live mode redraws one picture
    studio::GenerationWorker* w = workerFor(req.request.backend, live);
    const quint64 id = live ? w->submitLive(std::move(req)) : w->submit(std::move(req));
    if (id == 0) {
        showMessage(tr("The generation worker has stopped"), true);
        return;
    }
    active_.insert(id);
    updateBusy();
    showMessage(active_.size() > 1 ? tr("Queued #%1 (%2 waiting)").arg(id).arg(active_.size() - 1)
                                   : tr("Starting #%1…").arg(id));
}

quint64 MainWindow::upscale(double scale, float strength, int tile, int overlap) {
    if (doc_->image().isNull()) {
        showMessage(tr("Upscale: there is no image: generate or open one first"), true);
        return 0;
    }
    const QSize out(int(std::lround(doc_->canvasSize().width() * scale)), int(std::lround(doc_->canvasSize().height() * scale)));
    if (out.width() > 8192 || out.height() > 8192) {
        showMessage(tr("Upscale: %1×%2 is above 8192 pixels a side").arg(out.width()).arg(out.height()), true);
        return 0;
    }
    GenerationRequest req;
    try {
        req.request = doc_->toUpscaleRequest(out);
    } catch (const std::exception& e) {
        showMessage(QString::fromUtf8(e.what()), true);
        return 0;
    }
    req.upscale = GenerationRequest::Upscale{tile, overlap, strength};
    const quint64 id = workerFor(req.request.backend)->submit(std::move(req));
    if (id == 0) return 0;
    active_.insert(id);
    updateBusy();
    showMessage(tr("Upscaling to %1×%2 (#%3)…").arg(out.width()).arg(out.height()).arg(id));
    return id;
}

studio::GenerationWorker* MainWindow::workerFor(const std::string& backend, bool live) {
    if (backend != studio::kRemoteBackend) return worker_;
    if (remote_.isEmpty()) {
        const studio::RemoteQueueSettings settings = studio::load_remote_settings();
        for (int i = 0; i < settings.jobs_in_flight; ++i) {
            auto* lane = new studio::RemoteGenerationWorker(settings, this);
            connectWorker(lane);
            connect(lane, &studio::GenerationWorker::runningOn, this, [this](quint64 id, const QString& where) {
                if (active_.contains(id)) showMessage(tr("Generating #%1 on %2").arg(id).arg(where));
            });
            remote_ << lane;
        }
    }
    if (live) {
        for (auto* lane : remote_.mid(1)) lane->cancelAll();
        return remote_.front();
    }
    // A lane's load counts its running request and its queue; submit() queues at once, so two
    // quick requests land on two lanes even before either has started.
    const auto load = [](const studio::GenerationWorker* w) { return (w->currentId() != 0) + w->queuedCount(); };
    return *std::min_element(remote_.begin(), remote_.end(), [&](auto* a, auto* b) { return load(a) < load(b); });
}

QList<studio::GenerationWorker*> MainWindow::workers() const { return QList<studio::GenerationWorker*>{worker_} + remote_; }

void MainWindow::connectWorker(studio::GenerationWorker* w) {
    connect(w, &studio::GenerationWorker::started, this, &MainWindow::onStarted);
    connect(w, &studio::GenerationWorker::progress, this, &MainWindow::onProgress);
    connect(w, &studio::GenerationWorker::preview, this, &MainWindow::onPreview);
    connect(w, &studio::GenerationWorker::finished, this, &MainWindow::onFinished);
    connect(w, &studio::GenerationWorker::failed, this, &MainWindow::onFailed);
    connect(w, &studio::GenerationWorker::cancelled, this, &MainWindow::onCancelled);
}

void MainWindow::editRemoteQueue() {
    studio::RemoteQueueSettings s = studio::load_remote_settings();
    bool ok = false;
    const QString url = QInputDialog::getText(this, tr("Remote queue"), tr("Queue URL (redis://USER@HOST:PORT):"),
                                              QLineEdit::Normal, s.url, &ok);
    if (!ok) return;
    const QString password = QInputDialog::getText(
        this, tr("Remote queue"), tr("Password of the queue's user (kept in %1, readable only by you):")
                                      .arg(QDir::toNativeSeparators(studio::remote_password_path())),
        QLineEdit::Password, s.password, &ok);
    if (!ok) return;
    const int jobs = QInputDialog::getInt(this, tr("Remote queue"),
                                          tr("Jobs this window may run on the farm at once (one per worker you want busy):"),
                                          s.jobs_in_flight, 1, studio::kMaxJobsInFlight, 1, &ok);
    if (!ok) return;
    s.jobs_in_flight = jobs;
    s.url = url.trimmed();
    s.password = password;
    try {
        studio::save_remote_settings(s);
    } catch (const std::exception& e) {
        showMessage(QString::fromUtf8(e.what()), true);
        return;
    }
    for (auto* lane : remote_) {  // the next remote request connects with the new settings
        lane->stop();
        lane->deleteLater();
    }
    remote_.clear();
    showMessage(tr("Remote queue: %1").arg(s.url));
}

void MainWindow::cancelGeneration() {
    if (!isGenerating()) return;
    for (auto* w : workers()) w->cancelAll();
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
    if (running_ == 0 && active_.contains(id)) running_ = id;  // another lane's request goes on
    if (id != running_) return;
    progress_->setRange(0, steps);
    progress_->setValue(step);
    eta_->setText(tr("%1 · ETA %2").arg(format_seconds(seconds), format_seconds(eta)));
}

void MainWindow::onPreview(quint64 id, const QImage& image, int) {
    if (running_ == 0 && active_.contains(id)) running_ = id;  // another lane's request goes on
    if (id != running_) {
        for (auto* w : workers()) w->previewConsumed();
        return;
    }
    canvas_->setPreview(image);
}

void MainWindow::onFinished(const GenerationResult& result) {
    // A batch comes back one image at a time under one id; the request ends with its last.
    const bool last = result.batch_index + 1 >= result.batch_count;
    if (last) {
        active_.remove(result.id);
        if (result.id == running_) running_ = 0;
        canvas_->setPreview({});
    }
    GalleryItem item;
    item.image = result.image;
    item.request = result.request;
    item.seconds = result.seconds;
    item.notice = result.notice;
    if (result.batch_count > 1) {
        const QString of = tr("batch image %1 of %2").arg(result.batch_index + 1).arg(result.batch_count);
        item.notice = item.notice.isEmpty() ? of : of + QStringLiteral("; ") + item.notice;
    }
    item.created = QDateTime::currentDateTime();
    item.id = result.id;
    // On disk before anything else: a crash or a quit from here on loses nothing.
    QString kept;
    try {
        item.file = gallery_->add(item);
    } catch (const std::exception& e) {
        kept = tr(" (not in the gallery folder: %1)").arg(QString::fromUtf8(e.what()));
    }
    doc_->addResult(item);
    // The first image of a batch lands on the canvas; the others wait in the gallery to be picked.
    if (result.batch_index == 0) applyResult(int(doc_->results().size()) - 1);
    QString done = result.batch_count > 1
                       ? tr("#%1 image %2 of %3 done (seed %4, %5 an image)")
                             .arg(result.id).arg(result.batch_index + 1).arg(result.batch_count).arg(result.request.seed)
                             .arg(format_seconds(result.seconds))
                       : tr("#%1 done in %2 (seed %3)").arg(result.id).arg(format_seconds(result.seconds)).arg(result.request.seed);
    if (!result.notice.isEmpty()) done += QStringLiteral(": ") + result.notice;
    showMessage(done + kept, !kept.isEmpty());
    if (result.batch_index == 0) emit resultApplied(result.id);
    if (last) {
        updateBusy();
        emit generationEnded(result.id);
    }
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
    if (index < 0 || index >= int(doc_->results().size())) return;
    try {
        const GalleryItem item = doc_->results()[size_t(index)];
        setImageLayer(item.image, tr("Result #%1 (seed %2)").arg(item.id).arg(item.request.seed));
        shown_result_ = item;
    } catch (const std::exception& e) {
        showMessage(QString::fromUtf8(e.what()), true);
    }
}

void MainWindow::useResult(const GalleryItem& item, bool as_init) {
    try {
        doc_->sealMerging();
        setImageLayer(item.image, tr("Result (seed %1)").arg(item.request.seed));
        shown_result_ = item;
        if (as_init) {
            GenerationSettings s = doc_->settings();
            s.mode = GenerationMode::Img2Img;
            doc_->setSettings(s, tr("mode"));
            doc_->sealMerging();
        }
        showMessage(as_init ? tr("The result is the init image: img2img from it") : tr("The result is the image"));
    } catch (const std::exception& e) {
        showMessage(QString::fromUtf8(e.what()), true);
    }
}

void MainWindow::saveResultAs(const GalleryItem& item) {
    const QString path = QFileDialog::getSaveFileName(this, tr("Save result"),
                                                      QStringLiteral("result-%1.png").arg(item.request.seed),
                                                      tr("PNG images (*.png)"));
    if (path.isEmpty()) return;
    try {
        studio::save_result_png(path, item);
        showMessage(tr("Saved %1").arg(QDir::toNativeSeparators(path)));
    } catch (const std::exception& e) {
        showMessage(QString::fromUtf8(e.what()), true);
    }
}

// --- Parameters of a result (the gallery or an opened PNG) back into the document.

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
    // The request's strength is inpaint's denoise when it carried a mask.
    (r.mask ? s.denoise : s.strength) = r.strength;
    if (mode_known) s.mode = r.mask ? GenerationMode::Inpaint : r.init_image ? GenerationMode::Img2Img : GenerationMode::Txt2Img;
    if (!r.backend.empty()) s.backend = QString::fromStdString(r.backend);
    s.cache = QString::fromStdString(r.cache);
    // low_vram stays the user's: it is about this machine's memory, not the image (the same either way).
    if (r.mask) {
        s.inpaint_mode = studio::InpaintMode(std::max<qsizetype>(0, QStringList{"full", "crop", "lazy"}.indexOf(
                                                                         QString::fromStdString(r.inpaint_mode))));
        s.lazy_refresh = r.lazy_refresh;
    }
    // The controls' settings (their maps come from the document); a full record says all.
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
