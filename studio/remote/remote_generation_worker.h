#pragma once
// The studio's "Remote queue" backend: a GenerationWorker whose requests run on the Redis queue's
// workers instead of a local Engine. Queue, live mode, previews, progress and cancel behave as
// they do locally; runningOn() names the worker that took the request.
#include "studio/generation_worker.h"
#include "studio/remote/remote_settings.h"

namespace dit::studio {

// The backend id the settings and the backend list use for the queue.
inline constexpr const char* kRemoteBackend = "remote";

class RemoteGenerationWorker : public GenerationWorker {
    Q_OBJECT
public:
    // The model is named by the request's model folder's name, which a worker must serve.
    explicit RemoteGenerationWorker(RemoteQueueSettings settings, QObject* parent = nullptr);
};

}  // namespace dit::studio
