#include "studio/remote/queue_client.h"

#include <chrono>
#include <thread>

#include <nlohmann/json.hpp>

#include "engine/error.h"
#include "studio/remote/queue_job.h"
#include "studio/remote/queue_keys.h"

namespace dit::remote {

QueueClient::QueueClient(RedisUrl url, int timeout_ms) : redis_(std::move(url), timeout_ms) {}

std::string QueueClient::submit(const Request& request, const std::string& model, int preview_ms, int ttl_s,
                                std::string* entry) {
    if (ttl_s < JobLimits::kMinTtl || ttl_s > JobLimits::kMaxTtl || preview_ms < 0 || preview_ms > JobLimits::kMaxPreviewMs)
        throw Error("queue: the job's TTL or preview interval is out of range");
    const EncodedJob job = encode_job(request, model, preview_ms, ttl_s);
    if (job.json.size() > JobLimits::kJobBytes) throw Error("queue: the job's text is larger than a worker accepts");
    std::vector<std::vector<std::string>> renew;
    for (const auto& [sha, bytes] : job.blobs) renew.push_back({"EXPIRE", keys::blob(sha), std::to_string(ttl_s)});
    if (!renew.empty()) {
        const auto present = redis_.pipeline(renew);
        std::vector<std::vector<std::string>> upload;
        for (size_t i = 0; i < present.size(); ++i)
            if (present[i].integer == 0)
                upload.push_back({"SET", keys::blob(job.blobs[i].first), job.blobs[i].second, "EX", std::to_string(ttl_s)});
        if (!upload.empty()) redis_.pipeline(upload);
    }
    const RedisReply added = redis_.command({"XADD", keys::jobs(model), "*", "id", job.id, "job", job.json});
    if (entry) *entry = added.str;
    return job.id;
}

bool QueueClient::holds(const std::string& job, const std::string& model, const std::string& entry) {
    const auto r = redis_.pipeline({{"EXISTS", keys::events(job), keys::end(job)}, {"XRANGE", keys::jobs(model), entry, entry}});
    if (r.at(0).integer > 0 || !r.at(1).elements.empty()) return true;
    for (const auto& w : workers())
        if (w.job == job) return true;
    return false;
}

std::vector<JobEvent> QueueClient::events(const std::string& job, std::string& cursor, int block_ms) {
    return read_events(redis_, job, cursor, block_ms);
}

bool QueueClient::cancel(const std::string& job, int ttl_s) { return end_job(redis_, job, "cancelled", "", ttl_s); }

std::optional<JobEnding> QueueClient::ending(const std::string& job) { return job_ending(redis_, job); }

std::string QueueClient::result_png(const std::string& job) {
    const RedisReply r = redis_.command({"GET", keys::result(job)});
    if (r.nil()) throw Error("queue: job " + job + " has no stored result (expired?)");
    return r.str;
}

std::vector<WorkerInfo> QueueClient::workers() {
    std::vector<std::string> names;
    std::string cursor = "0";
    do {
        const RedisReply r = redis_.command({"SCAN", cursor, "MATCH", keys::kWorkerPattern, "COUNT", "100"});
        cursor = r.elements.at(0).str;
        for (const auto& k : r.elements.at(1).elements) names.push_back(k.str);
    } while (cursor != "0");
    std::vector<WorkerInfo> out;
    for (const auto& key : names) {
        const RedisReply r = redis_.command({"GET", key});
        if (r.nil()) continue;  // expired between SCAN and GET
        try {
            const auto j = nlohmann::json::parse(r.str);
            WorkerInfo w{j.at("name").get<std::string>(), j.value("backend", ""), j.value("job", ""),
                         j.value("step", 0), {}};
            for (const auto& m : j.at("models")) w.models.push_back(m.at("name").get<std::string>());
            out.push_back(std::move(w));
        } catch (const nlohmann::json::exception&) {
            // Not a heartbeat this version writes: not a worker it can use.
        }
    }
    return out;
}

std::string run_remote_job(QueueClient& client, const Request& request, const std::string& model,
                           const RemoteRunOptions& o) {
    using Clock = std::chrono::steady_clock;
    std::string entry;
    const std::string job = client.submit(request, model, o.preview_ms, o.ttl_s, &entry);
    std::string cursor = "0";
    bool started = false, cancel_sent = false;
    Clock::time_point unserved_since{}, last_check{}, link_lost{}, verify_until{};
    // One round: a cancel to send, the events that came, and while no worker has the job, whether
    // any live worker serves its model. Returns the PNG once the job finished.
    auto round = [&]() -> std::optional<std::string> {
        if (!cancel_sent && o.cancelled && o.cancelled()) client.cancel(job, o.ttl_s), cancel_sent = true;
        for (const JobEvent& e : client.events(job, cursor, 200)) {
            if (e.type == JobEvent::Started) started = true;
            if (e.type == JobEvent::Requeued) started = false;
            if (o.on_event) o.on_event(e);
            if (e.type != JobEvent::End) continue;
            if (e.outcome == "finished") return client.result_png(job);
            if (e.outcome == "cancelled") throw Cancelled();
            throw Error("queue: job failed: " + e.reason);
        }
        const auto now = Clock::now();
        // Back from a lost link: a Redis restarted without persistence has forgotten the job,
        // and nobody would ever end it.
        if (verify_until != Clock::time_point{}) {
            if (client.holds(job, model, entry)) verify_until = {};
            else if (now > verify_until)
                throw Error("queue: Redis at " + client.connection().url().display() + " lost job " + job +
                            " while the link was down (restarted without persistence?); submit it again");
        }
        if (started || now - last_check < std::chrono::seconds(1)) return std::nullopt;
        last_check = now;
        bool served = false;
        for (const auto& w : client.workers())
            for (const auto& m : w.models) served = served || m == model;
        if (served) {
            unserved_since = {};
            return std::nullopt;
        }
        if (unserved_since == Clock::time_point{}) unserved_since = now;
        const auto waited = std::chrono::duration_cast<std::chrono::seconds>(now - unserved_since).count();
        if (o.on_status) o.on_status("waiting: no live worker serves model '" + model + "'");
        if (waited >= o.model_wait_s)  // whoever ends it, its End event comes in the next round
            end_job(client.connection(), job, "failed",
                    "no live worker serves model '" + model + "' (waited " + std::to_string(waited) + " s)", o.ttl_s);
        return std::nullopt;
    };
    for (;;) {
        try {
            if (auto png = round()) return *png;
            if (link_lost != Clock::time_point{}) verify_until = Clock::now() + std::chrono::seconds(o.lost_after_s);
            link_lost = {};
        } catch (const RedisIoError&) {
            // A restarting Redis (with persistence) still holds the job: wait for it a while.
            const auto now = Clock::now();
            if (link_lost == Clock::time_point{}) link_lost = now;
            if (now - link_lost > std::chrono::seconds(o.reconnect_s)) throw;
            std::this_thread::sleep_for(std::chrono::milliseconds(250));
        }
    }
}

}  // namespace dit::remote
