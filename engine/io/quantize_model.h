#pragma once
// `dit-cli quantize`: a copy of a diffusers folder with chosen components' weights quantized,
// as GGUF (q8_0, q5_k, q4_k, ...) or as ComfyUI-style scaled FP8 safetensors (f8_e4m3).
//
// Which tensors are quantized (the rest keep their stored precision; docs/quantization.md):
// 2-D `.weight` matrices of at least kMinQuantizedValues values whose names do not mark an
// embedding table or a norm ("embed", "shared", "norm", "relative_attention_bias",
// "scale_shift_table"), so biases, norms, embeddings, 1-D tensors, convolutions and small
// matrices stay exact. A K-quant needs rows of whole 256-value blocks; a matrix with shorter
// rows falls back as llama.cpp's quantizer does (Q4_K -> Q5_0, Q5_K -> Q5_1, Q6_K -> Q8_0), and
// rows that are not whole 32-value blocks stay unquantized.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "engine/tensor.h"

namespace dit {

constexpr int64_t kMinQuantizedValues = 4096;

struct ComponentReport {
    std::string component;
    std::filesystem::path file;  // the written weights
    int quantized = 0, kept = 0;
    uint64_t bytes_before = 0;   // stored bytes of the original weights (WeightStore::stored_bytes gives the new)
};

// The dtype `name` ([shape]) is stored as when the folder is quantized to `target`; its stored
// dtype when the rule keeps it.
DType quantized_dtype(const std::string& name, const Shape& shape, DType stored, DType target);

// One component: the weights of `src_dir` (a component folder or a weight file) quantized into
// `dst_dir` (which must exist), in the file the folder layout expects; its config is not copied.
ComponentReport quantize_component(const std::filesystem::path& src_dir, const std::filesystem::path& dst_dir,
                                   const std::string& component, DType target);

// Writes `out_dir` (which must not exist) from `model_dir`: every file copied except the
// weights of `components`, which are rewritten. Written to a temporary folder beside `out_dir`
// and renamed when complete, so a failed run leaves nothing behind. Throws dit::Error.
std::vector<ComponentReport> quantize_model(const std::filesystem::path& model_dir, const std::filesystem::path& out_dir,
                                            DType target, const std::vector<std::string>& components);

}  // namespace dit
