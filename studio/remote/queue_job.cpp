#include "studio/remote/queue_job.h"

#include <QByteArray>
#include <QCryptographicHash>
#include <cmath>
#include <random>
#include <set>

#include <nlohmann/json.hpp>

#include "engine/error.h"
#include "engine/pipeline/parameters.h"
#include "engine/samplers/sampler.h"

namespace dit::remote {
namespace {

bool is_hex(const std::string& s, size_t length) {
    if (s.size() != length) return false;
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

template <class T>
void in_range(const std::string& field, T value, T lo, T hi) {
    if (!(value >= lo && value <= hi))  // NaN fails too
        throw Error("job: field '" + field + "' is " + nlohmann::json(value).dump() + ", outside [" +
                    nlohmann::json(lo).dump() + ", " + nlohmann::json(hi).dump() + "]");
}

void text_size(const std::string& field, const std::string& text) {
    if (text.size() > JobLimits::kMaxPromptBytes)
        throw Error("job: field '" + field + "' has " + std::to_string(text.size()) + " bytes, more than " +
                    std::to_string(JobLimits::kMaxPromptBytes));
}

std::string blob_of(int channels, int width, int height, const uint8_t* data, size_t size) {
    std::string out(JobLimits::kBlobHeader, '\0');
    out[0] = char(channels);
    for (int i = 0; i < 4; ++i) out[1 + i] = char((uint32_t(width) >> (8 * i)) & 0xff);
    for (int i = 0; i < 4; ++i) out[5 + i] = char((uint32_t(height) >> (8 * i)) & 0xff);
    out.append(reinterpret_cast<const char*>(data), size);
    return out;
}

// The pixels of a blob after checking its header against what the request expects.
std::string_view blob_pixels(const std::string& bytes, int channels, int width, int height, const std::string& field) {
    if (bytes.size() < JobLimits::kBlobHeader) throw Error("job: blob '" + field + "' is truncated");
    auto u32 = [&](size_t at) {
        uint32_t v = 0;
        for (int i = 0; i < 4; ++i) v |= uint32_t(uint8_t(bytes[at + i])) << (8 * i);
        return v;
    };
    if (uint8_t(bytes[0]) != channels)
        throw Error("job: blob '" + field + "' has " + std::to_string(uint8_t(bytes[0])) + " channels, expected " +
                    std::to_string(channels));
    if (u32(1) != uint32_t(width) || u32(5) != uint32_t(height))
        throw Error("job: blob '" + field + "' is " + std::to_string(u32(1)) + "x" + std::to_string(u32(5)) +
                    ", expected the request's " + std::to_string(width) + "x" + std::to_string(height));
    const size_t expected = size_t(width) * height * channels;
    if (bytes.size() - JobLimits::kBlobHeader != expected)
        throw Error("job: blob '" + field + "' holds " + std::to_string(bytes.size() - JobLimits::kBlobHeader) +
                    " bytes of pixels, expected " + std::to_string(expected));
    return std::string_view(bytes).substr(JobLimits::kBlobHeader);
}

}  // namespace

std::string new_job_id() {
    std::random_device rd;
    static const char* hex = "0123456789abcdef";
    std::string id;
    for (int i = 0; i < 4; ++i) {
        const uint32_t v = rd();
        for (int k = 0; k < 8; ++k) id += hex[(v >> (4 * k)) & 0xf];
    }
    return id;
}

std::string sha256_hex(const std::string& bytes) {
    return QCryptographicHash::hash(QByteArrayView(bytes.data(), qsizetype(bytes.size())), QCryptographicHash::Sha256)
        .toHex()
        .toStdString();
}

bool is_plain_name(const std::string& name) {
    if (name.empty() || name.size() > 64 || !std::isalnum(static_cast<unsigned char>(name[0]))) return false;
    for (char c : name)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) return false;
    return true;
}

std::string encode_blob(const Image& image) {
    return blob_of(3, image.width, image.height, image.rgb.data(), image.rgb.size());
}

std::string encode_blob(const Mask& mask) {
    return blob_of(1, mask.width, mask.height, mask.value.data(), mask.value.size());
}

Image decode_image_blob(const std::string& bytes, int width, int height, const std::string& field) {
    const std::string_view px = blob_pixels(bytes, 3, width, height, field);
    return Image{width, height, std::vector<uint8_t>(px.begin(), px.end())};
}

Mask decode_mask_blob(const std::string& bytes, int width, int height, const std::string& field) {
    const std::string_view px = blob_pixels(bytes, 1, width, height, field);
    return Mask{width, height, std::vector<uint8_t>(px.begin(), px.end())};
}

void check_request_ranges(const Request& r) {
    using L = JobLimits;
    in_range("params.width", r.width, L::kMinSide, L::kMaxSide);
    in_range("params.height", r.height, L::kMinSide, L::kMaxSide);
    if (r.width % 8 || r.height % 8) throw Error("job: fields 'params.width' and 'params.height' must be multiples of 8");
    in_range("params.steps", r.steps, 1, L::kMaxSteps);
    in_range("params.cfg", r.cfg, 0.0f, L::kMaxCfg);
    in_range("params.strength", r.strength, 0.0001f, 1.0f);
    text_size("params.prompt", r.prompt);
    text_size("params.negative_prompt", r.negative_prompt);
    const auto& samplers = sampler_names();
    if (std::find(samplers.begin(), samplers.end(), r.sampler) == samplers.end())
        throw Error("job: field 'params.sampler' names no sampler: '" + r.sampler.substr(0, 64) + "'");
    // The inpainting fields are the engine's check_inpaint_request's, once the mask is in.
    if (r.noise_file) throw Error("job: a noise file is a path on one machine; the queue does not carry it");
    if (r.controls.size() > size_t(L::kMaxControls))
        throw Error("job: field 'params.controls' has more than " + std::to_string(L::kMaxControls) + " entries");
    for (const auto& c : r.controls) {
        if (c.type != "edges" && c.type != "pose") throw Error("job: field 'params.controls[].type' must be edges or pose");
        if (!c.adapter_dir.empty())
            throw Error("job: field 'params.controls[].adapter' is a path; a worker uses its model's own adapters");
        in_range("params.controls[].weight", c.weight, -20.0f, 20.0f);
        in_range("params.controls[].start", c.start, 0.0f, 1.0f);
        in_range("params.controls[].end", c.end, c.start, 1.0f);
        if (c.skip_blocks.size() > size_t(L::kMaxSkipBlocks))
            throw Error("job: field 'params.controls[].skip_blocks' has too many entries");
        for (int b : c.skip_blocks) in_range("params.controls[].skip_blocks[]", b, 0, 1023);
    }
    if (r.regions.size() > size_t(L::kMaxRegions))
        throw Error("job: field 'params.regions' has more than " + std::to_string(L::kMaxRegions) + " entries");
    for (const auto& region : r.regions) text_size("params.regions[].prompt", region.prompt);
}

EncodedJob encode_job(const Request& r, const std::string& model, int preview_ms, int ttl_s, std::string id) {
    if (!is_plain_name(model)) throw Error("queue: model '" + model + "' is not a served model's name (no paths)");
    check_request_ranges(r);
    EncodedJob out;
    out.id = id.empty() ? new_job_id() : std::move(id);
    nlohmann::json inputs = nlohmann::json::object();
    auto add = [&](std::string bytes) {
        std::string sha = sha256_hex(bytes);
        out.blobs.emplace_back(sha, std::move(bytes));
        return sha;
    };
    if (r.init_image) inputs["init"] = add(encode_blob(*r.init_image));
    if (r.mask) inputs["mask"] = add(encode_blob(*r.mask));
    for (const auto& c : r.controls) inputs["controls"].push_back(add(encode_blob(c.image)));
    for (const auto& region : r.regions) inputs["regions"].push_back(add(encode_blob(region.mask)));
    const nlohmann::json job = {{"v", 1},
                                {"id", out.id},
                                {"model", model},
                                {"params", nlohmann::json::parse(parameters_json(r))},
                                {"inputs", inputs},
                                {"preview_ms", preview_ms},
                                {"ttl", ttl_s}};
    out.json = job.dump();
    return out;
}

JobSpec parse_job(const std::string& text) {
    if (text.size() > JobLimits::kJobBytes)
        throw Error("job: " + std::to_string(text.size()) + " bytes, more than the limit of " +
                    std::to_string(JobLimits::kJobBytes));
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception&) {
        throw Error("job: not valid JSON");
    }
    if (!j.is_object()) throw Error("job: expected a JSON object");
    static const std::set<std::string> known = {"v", "id", "model", "params", "inputs", "preview_ms", "ttl"};
    for (const auto& [key, value] : j.items())
        if (!known.count(key)) throw Error("job: unknown field '" + key.substr(0, 64) + "'");
    auto field = [&](const char* key) -> const nlohmann::json& {
        if (!j.contains(key)) throw Error(std::string("job: field '") + key + "' is missing");
        return j.at(key);
    };
    auto integer = [&](const char* key, int lo, int hi) {
        const auto& v = field(key);
        if (!v.is_number_integer()) throw Error(std::string("job: field '") + key + "' must be an integer");
        const auto i = v.get<int64_t>();
        in_range<int64_t>(key, i, lo, hi);
        return int(i);
    };
    auto string = [&](const char* key) {
        const auto& v = field(key);
        if (!v.is_string()) throw Error(std::string("job: field '") + key + "' must be a string");
        return v.get<std::string>();
    };
    JobSpec spec;
    integer("v", 1, 1);
    spec.id = string("id");
    if (!is_hex(spec.id, 32)) throw Error("job: field 'id' must be 32 lower-case hex digits");
    spec.model = string("model");
    if (!is_plain_name(spec.model))
        throw Error("job: field 'model' must be a served model's name (letters, digits, . _ -; no paths)");
    spec.preview_ms = integer("preview_ms", 0, JobLimits::kMaxPreviewMs);
    spec.ttl_s = integer("ttl", JobLimits::kMinTtl, JobLimits::kMaxTtl);
    if (!field("params").is_object()) throw Error("job: field 'params' must be an object");
    spec.request = parameters_from_json(j.at("params").dump());
    check_request_ranges(spec.request);
    const auto& inputs = field("inputs");
    if (!inputs.is_object()) throw Error("job: field 'inputs' must be an object");
    auto sha = [](const nlohmann::json& v, const std::string& name) {
        if (!v.is_string() || !is_hex(v.get<std::string>(), 64))
            throw Error("job: field '" + name + "' must be a SHA-256 in 64 lower-case hex digits");
        return v.get<std::string>();
    };
    auto list = [&](const char* key, size_t expected, std::vector<std::string>& out) {
        const std::string name = std::string("inputs.") + key;
        if (!inputs.contains(key)) {
            if (expected) throw Error("job: field '" + name + "' is missing");
            return;
        }
        const auto& v = inputs.at(key);
        if (!v.is_array() || v.size() != expected)
            throw Error("job: field '" + name + "' must list one picture per entry of params." + key);
        for (const auto& e : v) out.push_back(sha(e, name + "[]"));
    };
    for (const auto& [key, value] : inputs.items())
        if (key != "init" && key != "mask" && key != "controls" && key != "regions")
            throw Error("job: unknown field 'inputs." + key.substr(0, 64) + "'");
    if (inputs.contains("init")) spec.init = sha(inputs.at("init"), "inputs.init");
    if (inputs.contains("mask")) spec.mask = sha(inputs.at("mask"), "inputs.mask");
    if (spec.mask && !spec.init) throw Error("job: field 'inputs.mask' needs 'inputs.init'");
    list("controls", spec.request.controls.size(), spec.controls);
    list("regions", spec.request.regions.size(), spec.regions);
    return spec;
}

}  // namespace dit::remote
