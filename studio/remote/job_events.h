#pragma once
// A job's life as its client sees it: a stream of events per job (started, progress, preview,
// requeued, end) and one ending, written with SET NX so the first writer wins and a job ends
// exactly once, whoever (worker, second worker, cancelling client) gets there first.
#include <optional>
#include <string>
#include <vector>

#include "engine/image.h"
#include "studio/remote/redis_connection.h"

namespace dit::remote {

struct JobEvent {
    enum Type { Started, Progress, Preview, Requeued, End } type = Progress;
    std::string worker;      // Started, Requeued
    int step = 0, steps = 0;
    double seconds = 0;      // since the worker began the job
    Image preview;           // the engine's latent preview (small: the latent grid's size)
    std::string outcome;     // End: finished | cancelled | failed
    std::string reason;      // End: why it failed, or the worker that finished it
};

// How a job ended: "finished", "cancelled" or "failed", and the detail after it.
struct JobEnding {
    std::string outcome, detail;
};

// Appends an event (field/value pairs) and keeps the events key alive for ttl_s more seconds.
void post_event(RedisConnection& redis, const std::string& job, std::vector<std::string> fields, int ttl_s);
// Ends the job unless something ended it first; true when this call did (and posted the End event).
bool end_job(RedisConnection& redis, const std::string& job, const std::string& outcome,
             const std::string& detail, int ttl_s);
std::optional<JobEnding> job_ending(RedisConnection& redis, const std::string& job);

// Events after `cursor` (a stream id, "0" at first), waiting up to block_ms for the first (0: not
// at all); the
// cursor moves past what was returned. A malformed event is an error naming its field.
std::vector<JobEvent> read_events(RedisConnection& redis, const std::string& job, std::string& cursor, int block_ms);

}  // namespace dit::remote
