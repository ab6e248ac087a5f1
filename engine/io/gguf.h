#pragma once
// GGUF v3 (ggml's single-file format), read-only and mmapped like safetensors:
//   "GGUF", u32 version (3), u64 tensor count, u64 metadata count,
//   metadata: {string key, u32 value type, value} (strings are u64 length + bytes, arrays u32
//             element type + u64 count + elements),
//   tensor table: {string name, u32 n_dims, u64 dims[n_dims] (innermost first), u32 ggml type,
//                  u64 offset}, then padding to `general.alignment` (32 unless given), then the
//   data region the offsets point into (each a multiple of the alignment).
// Every field is checked before use; a broken file is refused with a dit::Error naming the file
// and the key or tensor at fault. Shapes are reported in PyTorch's order (outermost first), so
// a GGUF matrix [K, N] in ggml's terms is [N, K] here, as in the safetensors it came from.
#include <cstdint>
#include <optional>

#include "engine/io/weight_file.h"

namespace dit {

// ggml's numbering of the tensor types this engine reads (ggml.h's enum ggml_type).
uint32_t ggml_type_id(DType dtype);
std::optional<DType> dtype_of_ggml_type(uint32_t id);

constexpr uint32_t kGgufDefaultAlignment = 32;

class GgufFile final : public WeightFile {
public:
    static std::shared_ptr<GgufFile> open(const std::filesystem::path& path);

    const std::filesystem::path& path() const override;
    const std::map<std::string, TensorInfo>& tensors() const override;
    const std::map<std::string, std::string>& metadata() const override;
    Tensor load(const std::string& name) const override;
    uint32_t alignment() const;

    ~GgufFile() override;
    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
    explicit GgufFile(std::unique_ptr<Impl> impl);
};

}  // namespace dit
