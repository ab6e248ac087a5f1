#pragma once
// safetensors: 8-byte little-endian header length N, N bytes of JSON
// {"name": {"dtype": "F32"|"F16"|"BF16", "shape": [...], "data_offsets": [begin, end]}, ...,
//  "__metadata__": {...}}, then the data region that the offsets are relative to.
// The file is mmapped read-only; the header and every offset are bounds-checked before use.
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "engine/tensor.h"

namespace dit {

enum class DType { F32, F16, BF16 };
const char* dtype_name(DType d);

struct TensorInfo {
    DType dtype = DType::F32;
    Shape shape;
    uint64_t begin = 0, end = 0;  // relative to the data region
};

class SafetensorsFile {
public:
    // Throws dit::Error naming the file for: a missing/unreadable file, a pickle checkpoint
    // (.ckpt/.bin/.pt/.pth or pickle magic), a truncated file, a header length past the end,
    // bad header JSON, an unknown dtype, offsets out of range, overlapping or not matching the
    // shape.
    static std::shared_ptr<SafetensorsFile> open(const std::filesystem::path& path);

    const std::filesystem::path& path() const;
    const std::map<std::string, TensorInfo>& tensors() const;
    const std::map<std::string, std::string>& metadata() const;
    // F32 data is returned as a view into the mapping (no copy); F16/BF16 are converted to an
    // owned f32 tensor.
    Tensor load(const std::string& name) const;

    ~SafetensorsFile();
    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
    explicit SafetensorsFile(std::unique_ptr<Impl> impl);
};

// Writes f32 tensors atomically (temp file + rename); used by tests, the CLI and tools.
void save_safetensors(const std::filesystem::path& path, const std::map<std::string, Tensor>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

}  // namespace dit
