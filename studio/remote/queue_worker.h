#pragma once
// The headless worker behind `dit-cli worker`: takes jobs for the models it serves from Redis
// streams through the consumer group, runs them on its own Engine, sends progress and throttled
// previews per step, stores the result PNG once and only then acknowledges. A heartbeat key with
// a TTL says it is alive; a job held by a worker whose heartbeat stopped is reclaimed with
// XAUTOCLAIM by whichever worker is idle first.
#include <atomic>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "studio/remote/redis_connection.h"

namespace dit::remote {

struct ServedModel {
    std::string name;           // the folder's name: the only way a job may name it
    std::filesystem::path dir;
    std::string config_sha256;  // over the folder's *.json files, so clients can tell versions apart
};

// Throws dit::Error when the folder is not a model or its name is not a plain name.
ServedModel served_model(const std::filesystem::path& dir);

struct QueueWorkerOptions {
    RedisUrl url;
    std::string name;                  // consumer name and heartbeat key; a plain name
    std::vector<ServedModel> models;
    std::string backend = "cpu";
    int heartbeat_ttl_ms = 5000;       // also the idle time after which a held job is reclaimed
    int max_attempts = 3;              // a job begun this often by workers that died is failed
    std::function<void(const std::string&)> log;  // one line per job and per refusal
};

struct QueueWorkerStats {
    int finished = 0, failed = 0, cancelled = 0, refused = 0, handed_back = 0;
};

class QueueWorker {
public:
    explicit QueueWorker(QueueWorkerOptions options);
    ~QueueWorker();
    // Runs until `stop` is set (SIGTERM): a running job is handed back to the queue, not lost.
    // Connection losses are waited out; only a refused start-up throws.
    QueueWorkerStats run(const std::atomic<bool>& stop);

    struct Impl;
private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace dit::remote
