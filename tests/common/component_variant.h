#pragma once
// A copy of a fixture's model component (config.json + diffusion_pytorch_model.safetensors) in
// a temporary folder, with its config and/or weights edited: how the loader suites build the
// broken checkpoints whose errors they check.
#include <QTemporaryDir>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/io/safetensors.h"

namespace dit::testing {

// src: the component folder; the copy is <tmp>/<name>/transformer. Weights keep their dtype.
inline std::filesystem::path component_variant(const QTemporaryDir& tmp, const std::filesystem::path& src,
                                               const std::string& name,
                                               const std::function<void(nlohmann::json&)>& edit_config,
                                               const std::function<void(std::map<std::string, Tensor>&)>& edit_weights = {}) {
    const std::filesystem::path dir = std::filesystem::path(tmp.path().toStdString()) / name / "transformer";
    std::filesystem::create_directories(dir);
    nlohmann::json cfg;
    std::ifstream(src / "config.json") >> cfg;
    edit_config(cfg);
    std::ofstream(dir / "config.json") << cfg.dump(2);
    auto file = SafetensorsFile::open(src / "diffusion_pytorch_model.safetensors");
    std::map<std::string, Tensor> tensors;
    for (const auto& [key, info] : file->tensors()) tensors[key] = file->load(key);
    if (edit_weights) edit_weights(tensors);
    save_safetensors(dir / "diffusion_pytorch_model.safetensors", tensors);
    return dir;
}

}  // namespace dit::testing
