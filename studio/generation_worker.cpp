#include "studio/generation_worker.h"

#include <QElapsedTimer>
#include <QMutex>
#include <QMutexLocker>
#include <deque>

#include "engine/error.h"
#include "engine/pipeline/upscale.h"
#include "studio/model/model_defaults.h"
#include "studio/result_png.h"
#include "studio/upscale.h"

namespace dit::studio {

// Lives on the worker's thread and owns the generator (the Engine). Everything the UI thread
// touches is either under `mutex` or atomic; what goes back to the UI is posted to the
// GenerationWorker as queued calls, so it arrives on the UI thread in the order it was posted.
class GenerationRunner : public QObject {
public:
    GenerationRunner(GenerationWorker* owner, Generator generator) : owner_(owner), generate_(std::move(generator)) {}
    // Before the first request is submitted (the worker's constructor).
    void set_generators(Generator one, BatchGenerator batch) {
        generate_ = std::move(one);
        batch_ = std::move(batch);
    }

    QMutex mutex;
    std::deque<GenerationRequest> queue;  // under mutex
    quint64 current_id = 0;               // under mutex; 0 when idle
    quint64 next_id = 1;                  // under mutex
    bool stopping = false;                // under mutex
    std::atomic<bool> cancel_flag{false};     // polled by the engine between steps and blocks
    std::atomic<bool> preview_pending{false};  // a preview is on its way or not yet painted
    std::atomic<int> preview_interval_ms{100};
    std::atomic<int> current_step{0};

    // Runs the oldest queued request. One wake-up is posted per request queued, so each call
    // finds work unless the queue was cleared in between (then it returns at once).
    void run_next() {
        GenerationRequest req;
        {
            QMutexLocker lock(&mutex);
            if (stopping || queue.empty()) return;
            req = std::move(queue.front());
            queue.pop_front();
            current_id = req.id;
            current_step = 0;
            cancel_flag = false;
        }
        const quint64 id = req.id;
        post([id](GenerationWorker* w) { emit w->started(id); });

        QElapsedTimer since_preview;
        double first_step_seconds = 0;
        const QSize size(req.request.width, req.request.height);
        Callbacks cb;
        cb.cancelled = [this] { return cancel_flag.load(std::memory_order_relaxed); };
        cb.progress = [&](const Progress& p) {
            current_step = p.step;
            if (p.step == 1) first_step_seconds = p.seconds;
            // The first step also carries the prompt encoding, so later steps time the rest.
            const double per_step = p.step >= 2 ? (p.seconds - first_step_seconds) / (p.step - 1)
                                                : p.seconds;
            const double eta = p.steps > 0 ? per_step * (p.steps - p.step) : -1;
            const int step = p.step, steps = p.steps;
            const double seconds = p.seconds;
            post([=](GenerationWorker* w) { emit w->progress(id, step, steps, seconds, eta); });
        };
        cb.preview = [&](const Image& img, const Progress& p) {
            // Dropped before any conversion work, so a throttled preview costs nothing.
            if (preview_pending.load()) return;
            const int interval = preview_interval_ms.load();
            if (since_preview.isValid() && since_preview.elapsed() < interval) return;
            since_preview.start();
            QImage q = to_qimage(img);
            if (q.size() != size && size.isValid())
                q = q.scaled(size, Qt::IgnoreAspectRatio, Qt::SmoothTransformation);
            preview_pending = true;
            const int step = p.step;
            post([id, q = std::move(q), step](GenerationWorker* w) { emit w->preview(id, q, step); });
        };

        enum { Done, Cancel, Fail } outcome = Done;
        std::vector<GenerationResult> results;
        QString message;
        try {
            const auto running_on = [&](const QString& where) {
                post([id, where](GenerationWorker* w) { emit w->runningOn(id, where); });
            };
            std::vector<Result> rs;
            if (req.upscale) rs.push_back(upscale(req, cb, running_on));
            else if (req.batch > 1 && batch_) rs = batch_(req.request, req.batch, cb);
            else
                for (int k = 0; k < req.batch; ++k) {
                    Request one = req.request;
                    one.seed += uint64_t(k);
                    rs.push_back(generate_(one, cb, running_on));
                }
            for (size_t k = 0; k < rs.size(); ++k) {
                const Result& r = rs[k];
                GenerationResult item;
                item.id = id;
                item.request = req.request;
                item.request.seed = req.request.seed + k;
                item.batch_index = int(k);
                item.batch_count = int(rs.size());
                if (req.upscale) {
                    const Image& from = *req.request.init_image;
                    item.notice = QStringLiteral("upscaled from %1×%2 and refined at strength %3")
                                      .arg(from.width).arg(from.height).arg(double(req.upscale->strength));
                    item.request.init_image.reset();  // the record describes the output, not the input
                }
                item.image = to_qimage(r.image);
                item.parameters = QString::fromStdString(r.parameters);
                item.seconds = r.seconds;
                if (!r.notice.empty()) item.notice = QString::fromStdString(r.notice);
                results.push_back(std::move(item));
            }
            // A cancel that lands after the last poll still wins: in live mode a superseded
            // result must not reach the canvas.
            if (cancel_flag.load()) outcome = Cancel;
        } catch (const Cancelled&) {
            outcome = Cancel;
        } catch (const std::exception& e) {
            outcome = Fail;
            message = QString::fromUtf8(e.what());
        } catch (...) {
            outcome = Fail;
            message = QStringLiteral("unknown error in the engine");
        }
        {
            QMutexLocker lock(&mutex);
            current_id = 0;
            current_step = 0;
        }
        switch (outcome) {
            case Done:
                for (GenerationResult& r : results) post([r = std::move(r)](GenerationWorker* w) { emit w->finished(r); });
                break;
            case Cancel: post([id](GenerationWorker* w) { emit w->cancelled(id); }); break;
            case Fail: post([id, message](GenerationWorker* w) { emit w->failed(id, message); }); break;
        }
    }

    template <class F>
    void post(F&& f) {
        GenerationWorker* w = owner_;
        QMetaObject::invokeMethod(w, [w, f = std::forward<F>(f)] { f(w); }, Qt::QueuedConnection);
    }

    void wake() {
        QMetaObject::invokeMethod(this, [this] { run_next(); }, Qt::QueuedConnection);
    }

private:
    GenerationWorker* owner_;
    // Upscale and refine: each tile is a request of this worker's generator (local or remote).
    Result upscale(const GenerationRequest& req, Callbacks& cb, const std::function<void(const QString&)>& running_on) {
        if (!req.request.init_image) throw Error("upscale: there is no picture to enlarge");
        UpscaleRequest u;
        u.base = req.request;
        u.base.init_image.reset();
        const ModelDefaults d = model_defaults(QString::fromStdString(req.request.model_dir.string()));
        u.tile = req.upscale->tile > 0 ? req.upscale->tile : std::min(d.width, d.height);
        u.overlap = req.upscale->overlap > 0 ? req.upscale->overlap : u.tile / 8;
        u.strength = req.upscale->strength;
        u.picture = lanczos_resize(*req.request.init_image, req.request.width, req.request.height);
        return upscale_refine([&](const Request& r, Callbacks& c) { return generate_(r, c, running_on); }, u, cb);
    }

    Generator generate_;

public:
    BatchGenerator batch_;
};

namespace {

// The local engine, made on the worker's thread when it first runs, shared by both generators.
struct LocalEngine {
    std::unique_ptr<Engine> engine;
    Engine& get() {
        if (!engine) engine = std::make_unique<Engine>();
        return *engine;
    }
};

}  // namespace

GenerationWorker::GenerationWorker(QObject* parent) : GenerationWorker(Generator{}, parent) {
    auto local = std::make_shared<LocalEngine>();
    runner_->set_generators([local](const Request& r, Callbacks& cb, const auto&) { return local->get().generate(r, cb); },
                            [local](const Request& r, int count, Callbacks& cb) { return local->get().generate_batch(r, count, cb); });
}

GenerationWorker::GenerationWorker(Generator generator, QObject* parent, BatchGenerator batch) : QObject(parent) {
    qRegisterMetaType<GenerationRequest>();
    qRegisterMetaType<GenerationResult>();
    runner_ = new GenerationRunner(this, std::move(generator));
    runner_->batch_ = std::move(batch);
    runner_->moveToThread(&thread_);
    thread_.setObjectName(QStringLiteral("GenerationWorker"));
    thread_.start();
}

GenerationWorker::~GenerationWorker() {
    stop();
    delete runner_;  // its thread has finished, so nothing runs on it any more
}

void GenerationWorker::setPreviewInterval(int ms) { runner_->preview_interval_ms = std::max(0, ms); }
int GenerationWorker::previewInterval() const { return runner_->preview_interval_ms; }

quint64 GenerationWorker::currentId() const {
    QMutexLocker lock(&runner_->mutex);
    return runner_->current_id;
}

int GenerationWorker::currentStep() const { return runner_->current_step; }

int GenerationWorker::queuedCount() const {
    QMutexLocker lock(&runner_->mutex);
    return int(runner_->queue.size());
}

quint64 GenerationWorker::submit(GenerationRequest request) {
    QMutexLocker lock(&runner_->mutex);
    if (runner_->stopping) return 0;
    if (request.id == 0) request.id = runner_->next_id++;
    else runner_->next_id = std::max(runner_->next_id, request.id + 1);
    const quint64 id = request.id;
    runner_->queue.push_back(std::move(request));
    runner_->wake();
    return id;
}

quint64 GenerationWorker::submitLive(GenerationRequest request) {
    std::deque<GenerationRequest> dropped;
    quint64 id = 0;
    {
        QMutexLocker lock(&runner_->mutex);
        if (runner_->stopping) return 0;
        dropped.swap(runner_->queue);
        if (runner_->current_id != 0) runner_->cancel_flag = true;
        if (request.id == 0) request.id = runner_->next_id++;
        else runner_->next_id = std::max(runner_->next_id, request.id + 1);
        id = request.id;
        runner_->queue.push_back(std::move(request));
        runner_->wake();
    }
    for (const auto& r : dropped) post_cancelled(r.id);
    return id;
}

void GenerationWorker::cancel() {
    QMutexLocker lock(&runner_->mutex);
    if (runner_->current_id != 0) runner_->cancel_flag = true;
}

void GenerationWorker::cancel(quint64 id) {
    bool dropped = false;
    {
        QMutexLocker lock(&runner_->mutex);
        if (id != 0 && runner_->current_id == id) {
            runner_->cancel_flag = true;
            return;
        }
        auto& q = runner_->queue;
        for (auto it = q.begin(); it != q.end(); ++it)
            if (it->id == id) {
                q.erase(it);
                dropped = true;
                break;
            }
    }
    if (dropped) post_cancelled(id);
}

void GenerationWorker::cancelAll() {
    std::deque<GenerationRequest> dropped;
    {
        QMutexLocker lock(&runner_->mutex);
        dropped.swap(runner_->queue);
        if (runner_->current_id != 0) runner_->cancel_flag = true;
    }
    for (const auto& r : dropped) post_cancelled(r.id);
}

void GenerationWorker::previewConsumed() { runner_->preview_pending = false; }

void GenerationWorker::stop() {
    if (stopped_.exchange(true)) return;
    std::deque<GenerationRequest> dropped;
    {
        QMutexLocker lock(&runner_->mutex);
        runner_->stopping = true;
        dropped.swap(runner_->queue);
        if (runner_->current_id != 0) runner_->cancel_flag = true;
    }
    // Queued like the running request's own `cancelled`: delivered while this object lives
    // (an explicit stop()), dropped with it when the destructor is what stopped it.
    for (const auto& r : dropped) post_cancelled(r.id);
    // The running generation sees the flag at its next block boundary and returns; the thread's
    // event loop then ends. Nothing on the worker thread waits on this thread, so no deadlock.
    thread_.quit();
    thread_.wait();
}

void GenerationWorker::post_cancelled(quint64 id) {
    QMetaObject::invokeMethod(this, [this, id] { emit cancelled(id); }, Qt::QueuedConnection);
}

}  // namespace dit::studio
