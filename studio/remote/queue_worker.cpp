#include "studio/remote/queue_worker.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "engine/error.h"
#include "engine/pipeline/engine.h"
#include "engine/pipeline/inpaint.h"
#include "engine/pipeline/parameters.h"
#include "studio/remote/job_events.h"
#include "studio/remote/queue_job.h"
#include "studio/remote/queue_keys.h"
#include "studio/result_png.h"

namespace dit::remote {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

ServedModel served_model(const fs::path& folder) {
    // The name as given, not a symlink's target's: a local run through the same path writes it
    // into the PNG, and the queue's PNG must be the same.
    std::error_code ec;
    const fs::path dir = fs::absolute(folder, ec).lexically_normal();
    if (ec || !fs::is_regular_file(dir / "model_index.json"))
        throw Error(folder.string() + ": not a model folder (no model_index.json)");
    ServedModel m{model_folder_name(dir), dir, {}};
    if (!is_plain_name(m.name))
        throw Error(folder.string() + ": the folder's name is what jobs call the model, and '" + m.name +
                    "' is not a plain name (letters, digits, . _ -)");
    std::vector<fs::path> configs;
    for (const auto& e : fs::recursive_directory_iterator(dir))
        if (e.is_regular_file() && e.path().extension() == ".json") configs.push_back(e.path());
    std::sort(configs.begin(), configs.end());
    std::string all;
    for (const auto& p : configs) {
        std::ifstream f(p, std::ios::binary);
        std::stringstream text;
        text << f.rdbuf();
        all += fs::relative(p, dir).generic_string() + '\0' + text.str() + '\0';
    }
    m.config_sha256 = sha256_hex(all);
    return m;
}

namespace {

// One delivered stream entry.
struct Delivery {
    std::string stream, model, entry_id;
    std::map<std::string, std::string> fields;
    bool deleted = false;  // the entry is gone (acknowledged elsewhere): only the PEL remembers it
};

void take_entries(const std::string& stream, const std::string& model, const RedisReply& list,
                  std::vector<Delivery>& out) {
    for (const RedisReply& e : list.elements) {
        if (e.kind != RedisReply::Array || e.elements.size() < 2) continue;
        Delivery d{stream, model, e.elements[0].str, {}, e.elements[1].nil()};
        const auto& kv = e.elements[1].elements;
        for (size_t i = 0; i + 1 < kv.size(); i += 2) d.fields[kv[i].str] = kv[i + 1].str;
        out.push_back(std::move(d));
    }
}

// A reason for a person, short enough for a status line however long the input was.
std::string clipped(std::string s) {
    if (s.size() > 300) s = s.substr(0, 300) + "...";
    return s;
}

}  // namespace

struct QueueWorker::Impl {
    QueueWorkerOptions o;
    Engine engine;
    QueueWorkerStats stats;
    const std::atomic<bool>* stop = nullptr;

    // What the heartbeat thread reads: the running entry, whose idle time it keeps at zero.
    std::mutex mutex;
    std::condition_variable wake;
    std::string running_stream, running_entry, running_job;
    int running_step = 0;
    bool quitting = false;

    void log(const std::string& line) {
        if (o.log) o.log(line);
    }

    std::string heartbeat_value() {
        nlohmann::json models = nlohmann::json::array();
        for (const auto& m : o.models) models.push_back({{"name", m.name}, {"config_sha256", m.config_sha256}});
        std::lock_guard lock(mutex);
        return nlohmann::json{{"name", o.name},
                              {"backend", o.backend},
                              {"models", models},
                              {"job", running_job},
                              {"step", running_step}}
            .dump();
    }

    void heartbeat_loop() {
        std::unique_ptr<RedisConnection> redis;
        const auto period = std::chrono::milliseconds(std::max(100, o.heartbeat_ttl_ms / 4));
        for (;;) {
            try {
                if (!redis) redis = std::make_unique<RedisConnection>(o.url, 2000);
                std::vector<std::vector<std::string>> cmds = {
                    {"SET", keys::worker(o.name), heartbeat_value(), "PX", std::to_string(o.heartbeat_ttl_ms)}};
                {
                    std::lock_guard lock(mutex);
                    if (!running_entry.empty())  // JUSTID: resets the entry's idle time, nothing else
                        cmds.push_back({"XCLAIM", running_stream, keys::kGroup, o.name, "0", running_entry, "JUSTID"});
                }
                redis->pipeline(cmds);
            } catch (const std::exception&) {
                redis.reset();  // Redis away: the next beat reconnects
            }
            std::unique_lock lock(mutex);
            if (wake.wait_for(lock, period, [&] { return quitting; })) break;
        }
        try {
            if (redis) redis->command({"DEL", keys::worker(o.name)});
        } catch (const std::exception&) {
        }
    }

    void ensure_groups(RedisConnection& redis) {
        for (const auto& m : o.models) {
            try {  // from 0: jobs queued before any worker existed are read too
                redis.command({"XGROUP", "CREATE", keys::jobs(m.name), keys::kGroup, "0", "MKSTREAM"});
            } catch (const Error& e) {
                if (std::string(e.what()).find("BUSYGROUP") == std::string::npos) throw;
            }
        }
    }

    // The next entry to run: this worker's own unacknowledged ones first (after a reconnect or a
    // restart under the same name), then those of dead workers, then new ones.
    std::vector<Delivery> next(RedisConnection& redis, bool& own_pending) {
        std::vector<Delivery> out;
        auto read = [&](const std::string& from, int block_ms) {
            std::vector<std::string> cmd = {"XREADGROUP", "GROUP", keys::kGroup, o.name, "COUNT", "1"};
            if (block_ms >= 0) cmd.insert(cmd.end(), {"BLOCK", std::to_string(block_ms)});
            cmd.push_back("STREAMS");
            for (const auto& m : o.models) cmd.push_back(keys::jobs(m.name));
            for (size_t i = 0; i < o.models.size(); ++i) cmd.push_back(from);
            const RedisReply r = redis.command(cmd);
            for (const RedisReply& s : r.elements)
                for (const auto& m : o.models)
                    if (s.elements.at(0).str == keys::jobs(m.name)) take_entries(s.elements[0].str, m.name, s.elements.at(1), out);
        };
        if (own_pending) {
            read("0", -1);
            if (out.empty()) own_pending = false;
            else return {out.front()};
        }
        for (const auto& m : o.models) {
            const RedisReply r = redis.command({"XAUTOCLAIM", keys::jobs(m.name), keys::kGroup, o.name,
                                                std::to_string(o.heartbeat_ttl_ms), "0-0", "COUNT", "1"});
            if (r.elements.size() >= 2) take_entries(keys::jobs(m.name), m.name, r.elements[1], out);
            if (!out.empty()) {
                log("reclaimed entry " + out.front().entry_id + " of a worker whose heartbeat stopped");
                return {out.front()};
            }
        }
        read(">", 1000);
        return out;
    }

    void acknowledge(RedisConnection& redis, const Delivery& d) {
        redis.pipeline({{"XACK", d.stream, keys::kGroup, d.entry_id}, {"XDEL", d.stream, d.entry_id}});
    }

    void refuse(RedisConnection& redis, const Delivery& d, const std::string& job, const std::string& reason, int ttl_s) {
        ++stats.refused;
        log("refused " + (job.empty() ? "entry " + d.entry_id : "job " + job) + ": " + reason);
        if (job.empty())
            redis.command({"XADD", keys::kRejected, "MAXLEN", "~", "1000", "*", "entry", d.entry_id, "stream",
                           d.stream, "reason", reason});
        else if (end_job(redis, job, "failed", reason, ttl_s))
            ++stats.failed;
        acknowledge(redis, d);
    }

    // A picture named by SHA-256: its size is checked before it is read, its bytes against its name.
    std::string fetch_blob(RedisConnection& redis, const std::string& sha, const std::string& field) {
        const long long size = redis.command({"STRLEN", keys::blob(sha)}).integer;
        if (size == 0) throw Error("job: field '" + field + "': the picture has expired or was never uploaded");
        if (size_t(size) > JobLimits::kMaxBlobBytes)
            throw Error("job: field '" + field + "': the picture is " + std::to_string(size) + " bytes, more than " +
                        std::to_string(JobLimits::kMaxBlobBytes));
        std::string bytes = redis.command({"GET", keys::blob(sha)}).str;
        if (sha256_hex(bytes) != sha) throw Error("job: field '" + field + "': the picture does not match its SHA-256");
        return bytes;
    }

    void fill_pictures(RedisConnection& redis, JobSpec& spec) {
        Request& r = spec.request;
        if (spec.init) r.init_image = decode_image_blob(fetch_blob(redis, *spec.init, "inputs.init"), r.width, r.height, "inputs.init");
        if (spec.mask) r.mask = decode_mask_blob(fetch_blob(redis, *spec.mask, "inputs.mask"), r.width, r.height, "inputs.mask");
        for (size_t i = 0; i < spec.controls.size(); ++i)
            r.controls[i].image = decode_image_blob(fetch_blob(redis, spec.controls[i], "inputs.controls[]"), r.width,
                                                    r.height, "inputs.controls[]");
        for (size_t i = 0; i < spec.regions.size(); ++i)
            r.regions[i].mask = decode_mask_blob(fetch_blob(redis, spec.regions[i], "inputs.regions[]"), r.width,
                                                 r.height, "inputs.regions[]");
    }

    // SIGTERM mid-job: the entry goes back to the end of its stream in one transaction, so no
    // other worker ever sees it both pending and queued.
    void hand_back(RedisConnection& redis, const Delivery& d, const std::string& job, int ttl_s) {
        redis.pipeline({{"MULTI"},
                        {"XADD", d.stream, "*", "id", job, "job", d.fields.at("job")},
                        {"XACK", d.stream, keys::kGroup, d.entry_id},
                        {"XDEL", d.stream, d.entry_id},
                        {"DECR", keys::attempts(job)},
                        {"EXEC"}});
        post_event(redis, job, {"type", "requeued", "worker", o.name}, ttl_s);
        ++stats.handed_back;
        log("handed back job " + job);
    }

    void handle(RedisConnection& redis, const Delivery& d) {
        if (d.deleted) return acknowledge(redis, d);
        auto field = d.fields.find("id");
        const std::string id = field == d.fields.end() ? std::string() : field->second;
        if (id.size() != 32 || id.find_first_not_of("0123456789abcdef") != std::string::npos)
            return refuse(redis, d, {}, "entry field 'id' must be 32 lower-case hex digits", 0);
        const int fallback_ttl = 3600;
        auto job_text = d.fields.find("job");
        if (job_text == d.fields.end()) return refuse(redis, d, id, "entry field 'job' is missing", fallback_ttl);
        JobSpec spec;
        try {
            spec = parse_job(job_text->second);
            if (spec.id != id) throw Error("job: field 'id' differs from the entry's id");
            if (spec.model != d.model)
                throw Error("job: field 'model' is '" + spec.model + "' but it was queued for '" + d.model + "'");
        } catch (const Error& e) {
            return refuse(redis, d, id, clipped(e.what()), fallback_ttl);
        }
        if (job_ending(redis, id)) return acknowledge(redis, d);  // cancelled while queued, or ended by a dead worker
        const long long attempt = redis.pipeline({{"INCR", keys::attempts(id)},
                                                  {"EXPIRE", keys::attempts(id), std::to_string(spec.ttl_s)}})[0].integer;
        if (attempt > o.max_attempts)
            return refuse(redis, d, id,
                          "begun " + std::to_string(attempt - 1) + " times by workers that died running it", spec.ttl_s);
        try {
            fill_pictures(redis, spec);
            if (spec.request.mask) check_inpaint_request(spec.request);
        } catch (const Error& e) {
            return refuse(redis, d, id, clipped(e.what()), spec.ttl_s);
        }
        const ServedModel& model = *std::find_if(o.models.begin(), o.models.end(), [&](auto& m) { return m.name == spec.model; });
        Request request = std::move(spec.request);
        request.model_dir = model.dir;
        request.backend = o.backend;
        run_job(redis, d, id, spec, request);
    }

    void run_job(RedisConnection& redis, const Delivery& d, const std::string& id, const JobSpec& spec,
                 const Request& request) {
        post_event(redis, id, {"type", "started", "worker", o.name}, spec.ttl_s);
        {
            std::lock_guard lock(mutex);
            running_stream = d.stream, running_entry = d.entry_id, running_job = id, running_step = 0;
        }
        struct Clear {
            Impl* self;
            ~Clear() {
                std::lock_guard lock(self->mutex);
                self->running_stream.clear(), self->running_entry.clear(), self->running_job.clear();
            }
        } clear{this};
        bool ended_elsewhere = false;
        Clock::time_point last_preview{};
        Callbacks cb;
        cb.cancelled = [&] { return ended_elsewhere || stop->load(); };
        cb.progress = [&](const Progress& p) {
            {
                std::lock_guard lock(mutex);
                running_step = p.step;
            }
            // One round trip: the step goes out, and a cancel (the ending set by the client)
            // comes back, so it takes effect before the next step.
            const auto replies = redis.pipeline(
                {{"XADD", keys::events(id), "MAXLEN", "~", "5000", "*", "type", "progress", "step", std::to_string(p.step),
                  "steps", std::to_string(p.steps), "ms", std::to_string(int(p.seconds * 1000))},
                 {"EXPIRE", keys::events(id), std::to_string(spec.ttl_s)},
                 {"EXISTS", keys::end(id)}});
            ended_elsewhere = replies[2].integer != 0;
        };
        cb.preview = [&](const Image& img, const Progress& p) {
            const auto now = Clock::now();
            if (now - last_preview < std::chrono::milliseconds(spec.preview_ms)) return;
            last_preview = now;
            redis.command({"XADD", keys::events(id), "MAXLEN", "~", "5000", "*", "type", "preview", "step",
                           std::to_string(p.step), "steps", std::to_string(p.steps), "ms",
                           std::to_string(int(p.seconds * 1000)), "width", std::to_string(img.width), "height",
                           std::to_string(img.height), "rgb", std::string(img.rgb.begin(), img.rgb.end())});
        };
        Result result;
        try {
            result = engine.generate(request, cb);
        } catch (const Cancelled&) {
            if (stop->load() && !ended_elsewhere) return hand_back(redis, d, id, spec.ttl_s);
            ++stats.cancelled;
            log("job " + id + " cancelled");
            return acknowledge(redis, d);
        } catch (const RedisIoError&) {
            throw;  // not the job's fault: it stays pending and runs again after the reconnect
        } catch (const std::exception& e) {
            if (end_job(redis, id, "failed", clipped(e.what()), spec.ttl_s)) ++stats.failed;
            log("job " + id + " failed: " + e.what());
            return acknowledge(redis, d);
        }
        const QByteArray png = studio::encode_result_png(result.image, request);
        // Stored once: a second worker that ran the same job again finds it there and drops its own.
        const bool stored = !redis.command({"SET", keys::result(id), png.toStdString(), "NX", "EX",
                                            std::to_string(spec.ttl_s)}).nil();
        if (end_job(redis, id, "finished", o.name, spec.ttl_s)) {
            ++stats.finished;
            log("job " + id + " finished (" + std::to_string(result.seconds) + " s)");
        } else if (stored) {  // cancelled at the very end: the ending says so, and no result lingers
            redis.command({"DEL", keys::result(id)});
        }
        acknowledge(redis, d);
    }
};

QueueWorker::QueueWorker(QueueWorkerOptions options) : impl_(std::make_unique<Impl>()) {
    impl_->o = std::move(options);
    if (!is_plain_name(impl_->o.name)) throw Error("worker name '" + impl_->o.name + "' is not a plain name");
    if (impl_->o.models.empty()) throw Error("a worker needs at least one model to serve");
}

QueueWorker::~QueueWorker() = default;

QueueWorkerStats QueueWorker::run(const std::atomic<bool>& stop) {
    Impl& w = *impl_;
    w.stop = &stop;
    auto redis = std::make_unique<RedisConnection>(w.o.url);  // start-up failures throw to the caller
    w.ensure_groups(*redis);
    std::thread heartbeat([&] { w.heartbeat_loop(); });
    bool own_pending = true;
    while (!stop.load()) {
        try {
            for (const Delivery& d : w.next(*redis, own_pending)) w.handle(*redis, d);
        } catch (const RedisIoError& e) {
            w.log(std::string(e.what()) + "; retrying");
            own_pending = true;  // what this worker held may still be pending after a restart
            for (int i = 0; i < 10 && !stop.load(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
        } catch (const Error& e) {
            // A Redis restarted without persistence has lost the groups; anything else is logged
            // and the loop goes on, so one bad reply never ends the worker.
            w.log(std::string("error: ") + e.what());
            try {
                if (std::string(e.what()).find("NOGROUP") != std::string::npos) w.ensure_groups(*redis);
            } catch (const std::exception&) {
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
    }
    {
        std::lock_guard lock(w.mutex);
        w.quitting = true;
    }
    w.wake.notify_all();
    heartbeat.join();
    return w.stats;
}

}  // namespace dit::remote
