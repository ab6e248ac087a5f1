#pragma once
// A generation job as it travels through the queue: the request's parameters_json plus the
// served model's name and the SHA-256 names of its pictures, which travel separately as
// content-addressed blobs. The worker side range-checks every field before any work, so a
// hostile job fails with a message naming the field and never reaches the engine.
#include <optional>
#include <string>
#include <vector>

#include "engine/image.h"
#include "engine/pipeline/engine.h"

namespace dit::remote {

// What a worker accepts; anything outside fails the job before work.
struct JobLimits {
    static constexpr size_t kJobBytes = 256 * 1024;     // the job's JSON
    static constexpr int kMinSide = 16, kMaxSide = 2048;
    static constexpr int kMaxSteps = 500;
    static constexpr float kMaxCfg = 50.0f;
    static constexpr size_t kMaxPromptBytes = 8192;
    static constexpr int kMaxControls = 4, kMaxRegions = 16, kMaxSkipBlocks = 64;
    static constexpr int kMaxPreviewMs = 60000;
    static constexpr int kMinTtl = 5, kMaxTtl = 7 * 24 * 3600;
    // A blob holds one picture at the request's size: header + width * height * channels.
    static constexpr size_t kBlobHeader = 9;
    static constexpr size_t kMaxBlobBytes = kBlobHeader + size_t(kMaxSide) * kMaxSide * 3;
};

struct JobSpec {
    std::string id;     // 32 lower-case hex digits
    std::string model;  // a served name, never a path
    Request request;    // everything but model_dir and the pictures
    // The pictures by SHA-256 (64 hex digits): init image, mask, one per control and per region.
    std::optional<std::string> init, mask;
    std::vector<std::string> controls, regions;
    int preview_ms = 100;  // at most one preview per this many milliseconds; 0: every step
    int ttl_s = 3600;      // how long the job's keys (events, result, ending) outlive its end
};

// A job ready to send: its JSON and the blobs it names (SHA-256 -> bytes).
struct EncodedJob {
    std::string id;
    std::string json;
    std::vector<std::pair<std::string, std::string>> blobs;
};

// 32 random hex digits.
std::string new_job_id();
std::string sha256_hex(const std::string& bytes);
// [a-zA-Z0-9][a-zA-Z0-9._-]{0,63}: what a served model or a worker may be called.
bool is_plain_name(const std::string& name);

// Client side. The request's pictures go into blobs; its model_dir is ignored (the served name
// is `model`). Throws dit::Error for what a queue cannot carry (a noise file, an adapter path).
EncodedJob encode_job(const Request& request, const std::string& model, int preview_ms, int ttl_s,
                      std::string id = {});

// Worker side: parses and range-checks a job; throws dit::Error naming the field.
JobSpec parse_job(const std::string& json);
// The ranges a Request must be in before the engine sees it (also for pictures' sizes); the
// inpainting fields are checked with the mask, by check_inpaint_request.
void check_request_ranges(const Request& r);

std::string encode_blob(const Image& image);
std::string encode_blob(const Mask& mask);
// Decode a blob named by `field`, which must hold a picture of exactly width x height.
Image decode_image_blob(const std::string& bytes, int width, int height, const std::string& field);
Mask decode_mask_blob(const std::string& bytes, int width, int height, const std::string& field);

}  // namespace dit::remote
