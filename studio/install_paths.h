#pragma once
// Where the shipped data lives, one rule for the CLI, the studio and an installed package:
// $DIT_DEFAULT_MODEL first, then next to the executable as installed (<prefix>/bin ->
// <prefix>/share/dit-studio), then as built (build/app -> the source tree), then the source tree
// the binary was built from.
#include <filesystem>
#include <vector>

namespace dit::studio {

// The folder holding the running executable (/proc/self/exe), empty if it cannot be read.
std::filesystem::path executable_dir();

// The embedded default model's diffusers folder; empty when none is found.
std::filesystem::path default_model_dir();

// Every existing folder of shipped data named `name` ("presets", ...), installed first.
std::vector<std::filesystem::path> shipped_data_dirs(const std::filesystem::path& name);

}  // namespace dit::studio
