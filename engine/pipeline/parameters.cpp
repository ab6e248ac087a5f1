#include "engine/pipeline/parameters.h"

#include <nlohmann/json.hpp>

#include "engine/error.h"

namespace dit {

std::string parameters_json(const Request& r) {
    nlohmann::json j = {
        {"version", 1},
        {"model", r.model_dir.filename().empty() ? r.model_dir.parent_path().filename().string()
                                                 : r.model_dir.filename().string()},
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
    return j.dump();
}

std::string parameters_text(const Request& r) {
    std::string s = r.prompt + "\n";
    if (!r.negative_prompt.empty()) s += "Negative prompt: " + r.negative_prompt + "\n";
    s += "Steps: " + std::to_string(r.steps) + ", Sampler: " + r.sampler +
         ", CFG scale: " + nlohmann::json(r.cfg).dump() + ", Seed: " + std::to_string(r.seed) +
         ", Size: " + std::to_string(r.width) + "x" + std::to_string(r.height);
    if (r.init_image) s += ", Denoising strength: " + nlohmann::json(r.strength).dump();
    return s;
}

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
            out = j.at(key).get<std::decay_t<decltype(out)>>();
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
    return r;
}

}  // namespace dit
