#pragma once
#include <filesystem>
#include <string>
#include <vector>

namespace dit::cli {

// Each subcommand takes the arguments after its name and returns the process exit code; errors
// are thrown (dit::Error, UsageError) and turned into one line on stderr by main().
int generate_command(const std::vector<std::string>& argv);
int world_command(const std::vector<std::string>& argv);     // world_command.cpp
int pose_map_command(const std::vector<std::string>& argv);  // world_command.cpp
int eval_command(const std::vector<std::string>& argv);      // eval_command.cpp

// resources/models/default in the source tree, or $DIT_DEFAULT_MODEL.
std::filesystem::path default_model_dir();

}  // namespace dit::cli
