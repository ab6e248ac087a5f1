#pragma once
// GenerationWorker: runs dit::Engine::generate on its own thread so the UI thread never waits on
// the engine. The pattern is Qt's Mandelbrot example: a runner object lives on a QThread and owns
// the Engine; requests go in through a mutex-guarded queue plus a queued wake-up, and results,
// progress, previews and errors come back as queued signals that carry the request id. All public
// methods are thread-safe and return at once.
//
// Signals for one request arrive in this order, on the thread the worker was created on:
//   started, (preview? progress)*, then exactly one of finished | failed | cancelled.
// A request dropped from the queue before it started gets only `cancelled`.
#include <QImage>
#include <QMetaType>
#include <QObject>
#include <QString>
#include <QThread>
#include <atomic>
#include <optional>
#include <functional>

#include "engine/pipeline/engine.h"
#include "engine/pipeline/upscale.h"

namespace dit::studio {

struct GenerationRequest {
    quint64 id = 0;  // 0: submit() assigns the next id
    dit::Request request;
    // Upscale and refine instead of a generation: request.init_image is enlarged to
    // request.width x request.height (Lanczos) and refined by img2img over tiles at `strength`
    // (engine/pipeline/upscale.h); request.strength is not used.
    struct Upscale {
        int tile = 0, overlap = 0;  // 0: the tile is the model's native size, the overlap tile/8
        float strength = dit::kDefaultUpscaleStrength;
    };
    std::optional<Upscale> upscale;
    // Images of this request, seeds request.seed, + 1, ...: each comes back as its own result
    // (batch_index), all under this id; the local engine runs them as batched forwards.
    int batch = 1;
};

struct GenerationResult {
    quint64 id = 0;
    dit::Request request;
    QImage image;        // RGB888, the request's size
    QString parameters;  // the engine's one-line parameter record, for the PNG text chunk
    double seconds = 0;
    QString notice;      // the engine's Result::notice (e.g. the GPU ran out of memory)
    int batch_index = 0, batch_count = 1;  // which image of the request's batch; request.seed is its own
};

class GenerationRunner;

// What turns a request into a result on the worker's thread: the local Engine by default, or a
// remote queue (RemoteGenerationWorker). It may name where the request runs through `running_on`.
using Generator = std::function<Result(const Request&, Callbacks&, const std::function<void(const QString&)>& running_on)>;
// A whole batch at once (Engine::generate_batch); without one, a batch runs seed by seed.
using BatchGenerator = std::function<std::vector<Result>(const Request&, int count, Callbacks&)>;

class GenerationWorker : public QObject {
    Q_OBJECT
public:
    explicit GenerationWorker(QObject* parent = nullptr);
    // Runs requests through `generator` instead of a local Engine (created on first use, on the
    // worker's thread); everything else, queue and signals included, is the same.
    GenerationWorker(Generator generator, QObject* parent, BatchGenerator batch = {});
    ~GenerationWorker() override;  // stop(): cancels and joins; never blocks on a long step

    // Minimum time between two previews (default 100 ms); 0 lets every step through (the
    // one-pending rule below still holds).
    void setPreviewInterval(int ms);
    int previewInterval() const;

    // The running request's id, or 0 when idle.
    quint64 currentId() const;
    // Requests waiting behind the running one.
    int queuedCount() const;
    // The last step the running request finished (0 before the first, or when idle).
    int currentStep() const;

public slots:
    // Appends to the queue; returns the request's id.
    quint64 submit(dit::studio::GenerationRequest request);
    // Live mode: cancels the running request and drops the queued ones, so this one runs next.
    quint64 submitLive(dit::studio::GenerationRequest request);
    // Cancels the running request (within one step); queued ones still run.
    void cancel();
    // Cancels the request with this id, running or queued.
    void cancel(quint64 id);
    // Cancels the running request and drops every queued one.
    void cancelAll();
    // The UI calls this when it has painted the last preview: until then no new preview is sent,
    // so previews never pile up in the event queue however slow the UI is.
    void previewConsumed();
    // Cancels everything and joins the thread. Idempotent; later submits are refused (id 0).
    void stop();

signals:
    void started(quint64 id);
    // Where the request runs, when that is not here: "worker gpu-box-1" (remote queue).
    void runningOn(quint64 id, QString where);
    // seconds since the request started; eta: estimated seconds left (-1 while unknown).
    void progress(quint64 id, int step, int steps, double seconds, double eta);
    // The predicted x0 after `step`, scaled to the request's size (smooth), implicitly shared.
    void preview(quint64 id, QImage image, int step);
    void finished(dit::studio::GenerationResult result);
    void failed(quint64 id, QString message);
    void cancelled(quint64 id);

private:
    friend class GenerationRunner;
    void post_cancelled(quint64 id);

    QThread thread_;
    GenerationRunner* runner_ = nullptr;
    std::atomic<bool> stopped_{false};
};

}  // namespace dit::studio

Q_DECLARE_METATYPE(dit::studio::GenerationRequest)
Q_DECLARE_METATYPE(dit::studio::GenerationResult)
