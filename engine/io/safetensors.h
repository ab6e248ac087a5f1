#pragma once
// safetensors: 8-byte little-endian header length N, N bytes of JSON
// {"name": {"dtype": "F32"|"F16"|"BF16"|"F8_E4M3"|"F8_E5M2", "shape": [...], "data_offsets": [begin, end]}, ...,
//  "__metadata__": {...}}, then the data region that the offsets are relative to.
// The file is mmapped read-only; the header and every offset are bounds-checked before use.
#include "engine/io/weight_file.h"

namespace dit {

// DType and dtype_name come from engine/tensor.h (the storage formats a Tensor can view).

class SafetensorsFile final : public WeightFile {
public:
    // Throws dit::Error naming the file for: a missing/unreadable file, a pickle checkpoint
    // (.ckpt/.bin/.pt/.pth or pickle magic), a truncated file, a header length past the end,
    // bad header JSON, an unknown dtype, offsets out of range, overlapping or not matching the
    // shape.
    static std::shared_ptr<SafetensorsFile> open(const std::filesystem::path& path);

    const std::filesystem::path& path() const override;
    const std::map<std::string, TensorInfo>& tensors() const override;
    const std::map<std::string, std::string>& metadata() const override;
    // A view into the mapping in the file's dtype (no copy): F16/BF16/F8 tensors are read-only
    // weight views (Tensor::to_f32() widens one). Only data at an address misaligned for its
    // dtype is copied into an owned tensor of the same dtype.
    Tensor load(const std::string& name) const override;

    ~SafetensorsFile() override;
    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
    explicit SafetensorsFile(std::unique_ptr<Impl> impl);
};

// Writes tensors atomically (temp file + rename), each in its own dtype; used by tests, the CLI
// and tools.
void save_safetensors(const std::filesystem::path& path, const std::map<std::string, Tensor>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

}  // namespace dit
