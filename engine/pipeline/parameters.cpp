#include "engine/pipeline/parameters.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include <nlohmann/json.hpp>

#include "engine/error.h"
#include "engine/pipeline/attention_choice.h"

namespace dit {

std::string model_folder_name(const std::filesystem::path& dir) {
    return dir.filename().empty() ? dir.parent_path().filename().string() : dir.filename().string();
}

std::string parameters_json(const Request& r) {
    nlohmann::json j = {
        {"version", 1},
        {"model", model_folder_name(r.model_dir)},
        {"prompt", r.prompt},
        {"negative_prompt", r.negative_prompt},
        {"width", r.width},
        {"height", r.height},
        {"steps", r.steps},
        {"sampler", r.sampler},
        {"cfg", r.cfg},
        {"seed", r.seed},
    };
    if (r.init_image) j["strength"] = r.strength;
    if (r.cache != "off") j["cache"] = r.cache;
    if (r.attention != "auto") j["attention"] = r.attention;  // issue 21; absent: the default
    if (r.mask) {  // the mask itself is not stored, only how it was used
        j["inpaint_mode"] = r.inpaint_mode;
        if (r.inpaint_mode == "lazy") j["lazy_refresh"] = r.lazy_refresh, j["lazy_halo"] = r.lazy_halo;
        if (r.inpaint_mode == "crop") j["crop_margin"] = r.crop_margin;
        j["mask_grow"] = r.mask_grow;
        j["mask_blur"] = r.mask_blur;
        j["mask_feather"] = r.mask_feather;
    }
    for (const auto& c : r.controls) {  // the maps themselves are not stored, only their settings
        nlohmann::json cj = {{"type", c.type}, {"weight", c.weight}, {"start", c.start}, {"end", c.end}};
        if (!c.enabled) cj["enabled"] = false;
        if (!c.skip_blocks.empty()) cj["skip_blocks"] = c.skip_blocks;
        if (!c.adapter_dir.empty()) cj["adapter"] = c.adapter_dir.string();
        j["controls"].push_back(cj);
    }
    for (const auto& region : r.regions) {  // the mask itself is not stored: its box and coverage
        const Mask& m = region.mask;
        int x0 = m.width, y0 = m.height, x1 = -1, y1 = -1;
        int64_t inside = 0;
        for (int y = 0; y < m.height; ++y)
            for (int x = 0; x < m.width; ++x)
                if (size_t(y) * m.width + x < m.value.size() && m.value[size_t(y) * m.width + x] > 127) {
                    ++inside;
                    x0 = std::min(x0, x), y0 = std::min(y0, y), x1 = std::max(x1, x), y1 = std::max(y1, y);
                }
        nlohmann::json rj = {{"prompt", region.prompt}};
        if (inside) rj["mask_box"] = {x0, y0, x1 - x0 + 1, y1 - y0 + 1};  // x, y, width, height
        rj["mask_coverage"] = m.width && m.height ? double(inside) / (double(m.width) * m.height) : 0.0;
        j["regions"].push_back(rj);
    }
    return j.dump();
}

std::string parameters_text(const Request& r) {
    std::string s = r.prompt + "\n";
    if (!r.negative_prompt.empty()) s += "Negative prompt: " + r.negative_prompt + "\n";
    s += "Steps: " + std::to_string(r.steps) + ", Sampler: " + r.sampler +
         ", CFG scale: " + nlohmann::json(r.cfg).dump() + ", Seed: " + std::to_string(r.seed) +
         ", Size: " + std::to_string(r.width) + "x" + std::to_string(r.height);
    if (r.init_image) s += ", Denoising strength: " + nlohmann::json(r.strength).dump();
    if (r.mask) s += ", Inpaint: " + r.inpaint_mode;
    if (r.cache != "off") s += ", Cache: " + r.cache;
    return s;
}

namespace {

// A field's value as T, refusing numbers T cannot hold: converting them would be undefined
// behaviour (a crafted PNG chunk, found by fuzz/fuzz_png_parameters).
template <class T>
T checked_number_or_value(const nlohmann::json& v, const char* key) {
    auto out_of_range = [&] {
        return Error(std::string("generation parameters: field '") + key + "': " + v.dump() + " is out of range");
    };
    if constexpr (std::is_arithmetic_v<T> && !std::is_same_v<T, bool>) {
        if (!v.is_number())
            throw Error(std::string("generation parameters: field '") + key + "' has the wrong type");
    }
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
        if (!v.is_number_integer()) {
            // 128.0 is an integer; 1e30 too, but out of range (it was too long for int64 text).
            const double d = v.get<double>();
            if (!std::isfinite(d) || d != std::floor(d))
                throw Error(std::string("generation parameters: field '") + key + "' should be an integer");
            if (d < static_cast<double>(std::numeric_limits<T>::lowest()) ||
                d >= std::ldexp(1.0, std::numeric_limits<T>::digits))
                throw out_of_range();
            return static_cast<T>(d);
        }
        if (v.is_number_unsigned()) {
            if (v.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<T>::max())) throw out_of_range();
        } else {
            const int64_t i = v.get<int64_t>();
            if (i < 0 ? (std::is_unsigned_v<T> || i < static_cast<int64_t>(std::numeric_limits<T>::lowest()))
                      : static_cast<uint64_t>(i) > static_cast<uint64_t>(std::numeric_limits<T>::max()))
                throw out_of_range();
        }
    } else if constexpr (std::is_floating_point_v<T>) {
        const double d = v.get<double>();
        if (!std::isfinite(d) || std::abs(d) > static_cast<double>(std::numeric_limits<T>::max())) throw out_of_range();
    }
    return v.get<T>();
}

}  // namespace

Request parameters_from_json(const std::string& text) {
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
        throw Error(std::string("generation parameters: not valid JSON: ") + e.what());
    }
    if (!j.is_object()) throw Error("generation parameters: expected a JSON object");
    Request r;
    auto take = [&](const char* key, auto& out) {
        if (!j.contains(key)) return;
        try {
            out = checked_number_or_value<std::decay_t<decltype(out)>>(j.at(key), key);
        } catch (const nlohmann::json::exception&) {
            throw Error(std::string("generation parameters: field '") + key + "' has the wrong type");
        }
    };
    take("prompt", r.prompt);
    take("negative_prompt", r.negative_prompt);
    take("width", r.width);
    take("height", r.height);
    take("steps", r.steps);
    take("sampler", r.sampler);
    take("cfg", r.cfg);
    take("seed", r.seed);
    take("strength", r.strength);
    take("inpaint_mode", r.inpaint_mode);
    take("cache", r.cache);
    take("lazy_refresh", r.lazy_refresh);
    take("lazy_halo", r.lazy_halo);
    take("crop_margin", r.crop_margin);
    take("mask_grow", r.mask_grow);
    take("mask_blur", r.mask_blur);
    take("mask_feather", r.mask_feather);
    take("attention", r.attention);
    try {
        check_attention_setting(r.attention);
    } catch (const Error& e) {
        throw Error(std::string("generation parameters: field ") + e.what());
    }
    if (j.contains("controls")) {  // settings only: the caller supplies each control's map
        try {
            for (const auto& cj : j.at("controls")) {
                ControlInput c;
                c.type = cj.at("type").get<std::string>();
                // Numbers range-checked as the top-level fields are (the key names the list).
                auto number = [&](const char* key, float fallback) {
                    const std::string field = std::string("controls[].") + key;
                    return cj.contains(key) ? checked_number_or_value<float>(cj.at(key), field.c_str()) : fallback;
                };
                c.weight = number("weight", 1.0f);
                c.start = number("start", 0.0f);
                c.end = number("end", 1.0f);
                c.enabled = cj.value("enabled", true);
                if (cj.contains("skip_blocks"))
                    for (const auto& b : cj.at("skip_blocks"))
                        c.skip_blocks.push_back(checked_number_or_value<int>(b, "controls[].skip_blocks"));
                c.adapter_dir = cj.value("adapter", std::string());
                r.controls.push_back(std::move(c));
            }
        } catch (const nlohmann::json::exception&) {
            throw Error("generation parameters: field 'controls' must be a list of {type, weight, start, end}");
        }
    }
    if (j.contains("regions")) {  // prompts only: the caller supplies each region's mask
        try {
            for (const auto& rj : j.at("regions")) r.regions.push_back({rj.at("prompt").get<std::string>(), Mask{}});
        } catch (const nlohmann::json::exception&) {
            throw Error("generation parameters: field 'regions' must be a list of {prompt, ...}");
        }
    }
    return r;
}

}  // namespace dit
