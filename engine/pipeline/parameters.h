#pragma once
// A request's generation parameters as text, so a result image can carry them (PNG text chunks)
// and be dragged back in to restore them.
#include <string>

#include "engine/pipeline/engine.h"

namespace dit {

// A model folder's name ("models/pixart/" -> "pixart"): how results and the queue name a model.
std::string model_folder_name(const std::filesystem::path& model_dir);
// JSON object with every field that decides the image (prompt, sizes, sampler, seed, ...).
std::string parameters_json(const Request& r);
// The one-line-per-field "parameters" text the A1111 family writes and most tools read back:
// "<prompt>\nNegative prompt: <neg>\nSteps: 20, Sampler: dpm++2m, CFG scale: 4.5, Seed: 1, ..."
std::string parameters_text(const Request& r);
// Restores what parameters_json wrote; throws dit::Error naming the field that is wrong.
Request parameters_from_json(const std::string& json);

}  // namespace dit
