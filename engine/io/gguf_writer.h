#pragma once
// Writes GGUF v3 (see gguf.h for the layout) atomically: `dit-cli quantize`, tests and fuzz seeds.
#include <filesystem>
#include <map>
#include <string>

#include "engine/tensor.h"

namespace dit {

// Tensors in any dtype GGUF has (F32, F16, BF16, Q*), shapes outermost first as everywhere in
// the engine; metadata values are written as strings. Throws dit::Error naming the file and the
// tensor for a dtype GGUF cannot hold (FP8) or a scaled tensor.
void save_gguf(const std::filesystem::path& path, const std::map<std::string, Tensor>& tensors,
               const std::map<std::string, std::string>& metadata = {});

}  // namespace dit
