#pragma once
// The submitting side of the queue: what `dit-cli generate --queue` and the studio's
// RemoteGenerationWorker use. Pictures are uploaded content-addressed (a picture already there
// only has its TTL renewed), the job goes to its model's stream, and its events come back.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "engine/pipeline/engine.h"
#include "studio/remote/job_events.h"
#include "studio/remote/redis_connection.h"

namespace dit::remote {

// A live worker, from its heartbeat.
struct WorkerInfo {
    std::string name, backend, job;
    int step = 0;
    std::vector<std::string> models;
};

class QueueClient {
public:
    explicit QueueClient(RedisUrl url, int timeout_ms = 5000);

    // Queues a job for the served model `model`; returns its id (and its stream entry's id in
    // `entry`). Throws dit::Error for a request the queue cannot carry (checked here as the
    // worker will check it).
    std::string submit(const Request& request, const std::string& model, int preview_ms = 100, int ttl_s = 3600,
                       std::string* entry = nullptr);
    // Whether Redis still knows the job: queued in its stream, running on a live worker, or with
    // events or an ending. False after a restart without persistence lost it.
    bool holds(const std::string& job, const std::string& model, const std::string& entry);
    std::vector<JobEvent> events(const std::string& job, std::string& cursor, int block_ms);
    // Ends the job as cancelled unless it ended already (true: this call ended it). A running
    // worker sees it at its next step and stops.
    bool cancel(const std::string& job, int ttl_s = 3600);
    std::optional<JobEnding> ending(const std::string& job);
    // The finished job's PNG (with its parameters), exactly as the worker encoded it.
    std::string result_png(const std::string& job);
    std::vector<WorkerInfo> workers();
    RedisConnection& connection() { return redis_; }

private:
    RedisConnection redis_;
};

struct RemoteRunOptions {
    int preview_ms = 100;
    int ttl_s = 3600;
    // How long a job may wait while no live worker serves its model before it fails.
    int model_wait_s = 60;
    // How long a lost link to Redis is retried before the wait fails.
    int reconnect_s = 30;
    // After a lost link, how long the job may stay unknown to Redis (a running worker writes its
    // heartbeat and its next event within this) before the wait fails as lost.
    int lost_after_s = 10;
    std::function<void(const JobEvent&)> on_event;
    std::function<void(const std::string&)> on_status;  // "waiting: no worker serves model X"
    std::function<bool()> cancelled;                     // polled at least five times a second
};

// Runs one job to its end and returns its PNG; throws dit::Error with the worker's reason when it
// failed, dit::Cancelled when it was cancelled.
std::string run_remote_job(QueueClient& client, const Request& request, const std::string& model,
                           const RemoteRunOptions& options);

}  // namespace dit::remote
