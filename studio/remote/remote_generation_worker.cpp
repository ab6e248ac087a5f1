#include "studio/remote/remote_generation_worker.h"

#include <QImage>
#include <memory>

#include "engine/error.h"
#include "engine/pipeline/parameters.h"
#include "studio/remote/queue_client.h"
#include "studio/remote/queue_job.h"
#include "studio/result_png.h"

namespace dit::studio {

namespace {

Result run_on_queue(const RemoteQueueSettings& settings, std::unique_ptr<remote::QueueClient>& client,
                    const Request& request, Callbacks& cb, const std::function<void(const QString&)>& running_on) {
    const std::string model = model_folder_name(request.model_dir);
    remote::RedisUrl url = remote::parse_redis_url(settings.url.toStdString());
    url.password = settings.password.toStdString();
    if (!client) client = std::make_unique<remote::QueueClient>(url);
    remote::RemoteRunOptions o;
    o.model_wait_s = settings.model_wait_s;
    o.preview_ms = 0;  // the GenerationWorker throttles previews to what the canvas paints
    o.cancelled = cb.cancelled;
    double seconds = 0;
    o.on_status = [&](const std::string& s) { running_on(QString::fromStdString(s)); };
    o.on_event = [&](const remote::JobEvent& e) {
        const Progress p{e.step, e.steps, e.seconds};
        seconds = std::max(seconds, e.seconds);
        switch (e.type) {
            case remote::JobEvent::Started: running_on(QStringLiteral("worker ") + QString::fromStdString(e.worker)); break;
            case remote::JobEvent::Requeued: running_on(QStringLiteral("queue (handed back)")); break;
            case remote::JobEvent::Progress: if (cb.progress) cb.progress(p); break;
            case remote::JobEvent::Preview: if (cb.preview) cb.preview(e.preview, p); break;
            case remote::JobEvent::End: break;
        }
    };
    std::string png;
    try {
        png = remote::run_remote_job(*client, request, model, o);
    } catch (const remote::RedisIoError&) {
        client.reset();  // the next request connects afresh
        throw;
    }
    const QImage image = QImage::fromData(reinterpret_cast<const uchar*>(png.data()), int(png.size()), "PNG");
    if (image.isNull()) throw Error("the queue's result is not a readable PNG");
    Result r;
    r.image = from_qimage(image);
    r.parameters = parameters_json(request);
    r.seconds = seconds;
    return r;
}

}  // namespace

RemoteGenerationWorker::RemoteGenerationWorker(RemoteQueueSettings settings, QObject* parent)
    : GenerationWorker(
          [settings, client = std::shared_ptr<std::unique_ptr<remote::QueueClient>>(
                         std::make_shared<std::unique_ptr<remote::QueueClient>>())](
              const Request& r, Callbacks& cb, const std::function<void(const QString&)>& running_on) {
              return run_on_queue(settings, *client, r, cb, running_on);
          },
          parent) {}

}  // namespace dit::studio
