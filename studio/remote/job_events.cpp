#include "studio/remote/job_events.h"

#include <charconv>
#include <map>

#include "engine/error.h"
#include "studio/remote/queue_keys.h"

namespace dit::remote {
namespace {

// Events are few per job (one per step at most); the cap only guards against a runaway writer.
constexpr const char* kMaxEvents = "5000";

int to_int(const std::map<std::string, std::string>& f, const char* key) {
    auto it = f.find(key);
    int v = 0;
    if (it == f.end() || std::from_chars(it->second.data(), it->second.data() + it->second.size(), v).ec != std::errc())
        throw Error(std::string("queue event: field '") + key + "' is missing or not an integer");
    return v;
}

JobEvent parse_event(const std::map<std::string, std::string>& f) {
    auto get = [&](const char* key) {
        auto it = f.find(key);
        return it == f.end() ? std::string() : it->second;
    };
    JobEvent e;
    const std::string type = get("type");
    if (type == "started" || type == "requeued") {
        e.type = type == "started" ? JobEvent::Started : JobEvent::Requeued;
        e.worker = get("worker");
    } else if (type == "progress" || type == "preview") {
        e.type = type == "progress" ? JobEvent::Progress : JobEvent::Preview;
        e.step = to_int(f, "step");
        e.steps = to_int(f, "steps");
        e.seconds = to_int(f, "ms") / 1000.0;
        if (e.type == JobEvent::Preview) {
            const int w = to_int(f, "width"), h = to_int(f, "height");
            const std::string rgb = get("rgb");
            if (w <= 0 || h <= 0 || w > 4096 || h > 4096 || rgb.size() != size_t(w) * h * 3)
                throw Error("queue event: preview's 'rgb' does not hold width x height pixels");
            e.preview = Image{w, h, std::vector<uint8_t>(rgb.begin(), rgb.end())};
        }
    } else if (type == "end") {
        e.type = JobEvent::End;
        e.outcome = get("outcome");
        e.reason = get("detail");
    } else {
        throw Error("queue event: unknown type '" + type.substr(0, 32) + "'");
    }
    return e;
}

}  // namespace

void post_event(RedisConnection& redis, const std::string& job, std::vector<std::string> fields, int ttl_s) {
    std::vector<std::string> xadd = {"XADD", keys::events(job), "MAXLEN", "~", kMaxEvents, "*"};
    xadd.insert(xadd.end(), std::make_move_iterator(fields.begin()), std::make_move_iterator(fields.end()));
    redis.pipeline({xadd, {"EXPIRE", keys::events(job), std::to_string(ttl_s)}});
}

bool end_job(RedisConnection& redis, const std::string& job, const std::string& outcome, const std::string& detail,
             int ttl_s) {
    const RedisReply won =
        redis.command({"SET", keys::end(job), outcome + " " + detail, "NX", "EX", std::to_string(ttl_s)});
    if (won.nil()) return false;
    post_event(redis, job, {"type", "end", "outcome", outcome, "detail", detail}, ttl_s);
    return true;
}

std::optional<JobEnding> job_ending(RedisConnection& redis, const std::string& job) {
    const RedisReply r = redis.command({"GET", keys::end(job)});
    if (r.nil()) return std::nullopt;
    const auto space = r.str.find(' ');
    return JobEnding{r.str.substr(0, space), space == std::string::npos ? std::string() : r.str.substr(space + 1)};
}

std::vector<JobEvent> read_events(RedisConnection& redis, const std::string& job, std::string& cursor, int block_ms) {
    std::vector<std::string> cmd = {"XREAD", "COUNT", "100"};
    if (block_ms > 0) cmd.insert(cmd.end(), {"BLOCK", std::to_string(block_ms)});  // BLOCK 0 would wait forever
    cmd.insert(cmd.end(), {"STREAMS", keys::events(job), cursor});
    const RedisReply r = redis.command(cmd);
    std::vector<JobEvent> out;
    if (r.kind != RedisReply::Array || r.elements.empty()) return out;
    for (const RedisReply& entry : r.elements[0].elements.at(1).elements) {
        cursor = entry.elements.at(0).str;
        std::map<std::string, std::string> fields;
        const auto& kv = entry.elements.at(1).elements;
        for (size_t i = 0; i + 1 < kv.size(); i += 2) fields[kv[i].str] = kv[i + 1].str;
        out.push_back(parse_event(fields));
    }
    return out;
}

}  // namespace dit::remote
