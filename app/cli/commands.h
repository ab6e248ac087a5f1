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
int upscale_command(const std::vector<std::string>& argv);   // upscale_command.cpp
int eval_command(const std::vector<std::string>& argv);      // eval_command.cpp
int control_relevance_command(const std::vector<std::string>& argv);  // control_relevance_command.cpp
int quantize_command(const std::vector<std::string>& argv);  // quantize_command.cpp
int worker_command(const std::vector<std::string>& argv);    // worker_command.cpp

// studio::default_model_dir(), or an error that says where it looked.
std::filesystem::path default_model_dir();
// dit-cli generate --batch: "out.png" -> "out-3.png" for the batch's third image (k from 1).
std::string batch_output_name(const std::string& output, int k);

}  // namespace dit::cli
