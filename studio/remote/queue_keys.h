#pragma once
// The queue's key layout in Redis (docs/remote.md, "Key layout"). Every key starts with "dit:",
// so one ACL key pattern (~dit:*) covers all of them.
#include <string>

namespace dit::remote::keys {

// Consumer group every worker joins on every model stream.
inline const std::string kGroup = "workers";
// Jobs for one served model; a worker reads only the streams of the models it serves, so a job
// for a model nobody serves waits rather than failing on the first worker that sees it.
inline std::string jobs(const std::string& model) { return "dit:jobs:" + model; }
// Per job: its events (started, progress, preview, end), its one ending (SET NX: the first
// writer wins, so a job ends exactly once), its result PNG (SET NX: stored once) and how many
// times a worker began it (a job that kills every worker stops being retried).
inline std::string events(const std::string& job) { return "dit:job:" + job + ":events"; }
inline std::string end(const std::string& job) { return "dit:job:" + job + ":end"; }
inline std::string result(const std::string& job) { return "dit:job:" + job + ":result"; }
inline std::string attempts(const std::string& job) { return "dit:job:" + job + ":attempts"; }
// Content-addressed inputs (init image, mask, control maps, region masks): SHA-256 of the bytes.
inline std::string blob(const std::string& sha256_hex) { return "dit:blob:" + sha256_hex; }
// A worker's heartbeat (its models, backend and running job) with a TTL: gone means dead.
inline std::string worker(const std::string& name) { return "dit:worker:" + name; }
inline const std::string kWorkerPattern = "dit:worker:*";
// Entries so malformed that they name no job to fail: the reason, for whoever sent them.
inline const std::string kRejected = "dit:rejected";

}  // namespace dit::remote::keys
