#pragma once
// One checkpoint file, whatever its format: the tensor table, the metadata and views of the
// tensors in their stored dtype. SafetensorsFile and GgufFile implement it; WeightStore reads any.
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "engine/tensor.h"

namespace dit {

struct TensorInfo {
    DType dtype = DType::F32;
    Shape shape;                  // PyTorch's order: outermost first
    uint64_t begin = 0, end = 0;  // byte range, relative to the file's data region
};

class WeightFile {
public:
    virtual ~WeightFile() = default;
    virtual const std::filesystem::path& path() const = 0;
    virtual const std::map<std::string, TensorInfo>& tensors() const = 0;
    // Text values: safetensors' __metadata__ strings; GGUF keys with their scalar values written
    // out (arrays as "[N x TYPE]").
    virtual const std::map<std::string, std::string>& metadata() const = 0;
    // A view into the mapping in the file's dtype (no copy); throws dit::Error naming file and tensor.
    virtual Tensor load(const std::string& name) const = 0;

    // A .gguf file (by its magic, whatever its name) or a .safetensors file.
    static std::shared_ptr<WeightFile> open(const std::filesystem::path& path);
};

// "" when no two tensors share a byte, else a sentence naming two that do (both readers refuse
// overlapping tensors: a crafted file could otherwise alias one weight with another).
std::string find_overlap(const std::map<std::string, TensorInfo>& tensors);

}  // namespace dit
