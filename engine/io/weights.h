#pragma once
// Weights of one model component, from a single .safetensors or .gguf file or a sharded set
// described by *.safetensors.index.json ({"weight_map": {key: shard file}}), and the binder
// through which a model claims its parameters by their checkpoint names.
//
// The store speaks the checkpoint names of the Hugging Face layout whatever the file used:
// llama.cpp's T5 GGUF names are renamed (engine/io/gguf_names.h), and ComfyUI's scaled FP8
// files fold each `<m>.scale_weight` into `<m>.weight` (Tensor::scale), their `scale_input`
// and `scaled_fp8` markers dropped, since compute here is f32.
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "engine/io/safetensors.h"
#include "engine/io/weight_file.h"

namespace dit {

class WeightStore {
public:
    // `path` is a .safetensors or .gguf file, a .safetensors.index.json, or a component folder
    // holding one of: diffusion_pytorch_model.safetensors(.index.json), model.safetensors(.index.json),
    // diffusion_pytorch_model.gguf, model.gguf, or a lone .safetensors / .gguf file.
    // A folder holding only pickle checkpoints is refused with a message saying why.
    static WeightStore open(const std::filesystem::path& path);

    bool contains(const std::string& key) const;
    std::vector<std::string> keys() const;  // sorted
    const TensorInfo& info(const std::string& key) const;
    // The tensor in its file dtype, a view into the mapping (see SafetensorsFile::load) with its
    // scale; throws dit::Error naming key and file.
    Tensor load(const std::string& key) const;
    const std::filesystem::path& source() const { return source_; }
    // Stored bytes of every tensor and a count per dtype ("Q8_0 96, F32 25"), for reports.
    uint64_t stored_bytes() const;
    std::string dtype_summary() const;

private:
    struct Entry {
        size_t file = 0;    // index into files_
        std::string name;   // the name inside that file
        float scale = 1.0f; // ComfyUI's scale_weight
    };
    void adopt(size_t file, const std::string& where);
    void fold_fp8_scales();

    std::filesystem::path source_;
    std::vector<std::shared_ptr<WeightFile>> files_;
    std::map<std::string, Entry> where_;  // checkpoint key -> where it is stored
};

// Models bind every parameter by name and expected shape while they are constructed; the
// binder collects every problem and `finish()` reports all of them at once: missing keys,
// mis-shaped keys (expected vs found), and unexpected keys (present in the file, never bound,
// within the prefixes this component owns).
class ParamBinder {
public:
    // `ops`: the backend the model will run on. bind() places its tensors in that backend's
    // memory (a device copy for a device backend; the mapping itself for the CPU backends).
    ParamBinder(const WeightStore& store, std::string component, kernels::Backend& ops);
    // Returns the tensor as f32 in the backend's memory (for the CPU backends a view of the
    // mapping when the file stores f32, an owned copy when it stores f16/bf16: meant for small
    // tensors), or an empty Tensor after recording the problem.
    Tensor bind(const std::string& key, const Shape& shape);
    // The same, always in host memory: for the parameters host code reads (lookup tables).
    Tensor bind_host(const std::string& key, const Shape& shape);
    // Like bind, but keeps the file's dtype: always a view of the mapping, never a copy. For the
    // big matrices, which the ops read through a WeightRef (Backend::linear, kernels::to_f32),
    // so f16/bf16 checkpoints are not doubled in memory.
    Tensor bind_stored(const std::string& key, const Shape& shape);
    // Optional parameters (e.g. a bias that some checkpoints omit): empty Tensor when absent;
    // in the backend's memory like bind().
    Tensor bind_optional(const std::string& key, const Shape& shape);
    bool has(const std::string& key) const { return store_.contains(key); }
    kernels::Backend& backend() const { return ops_; }  // where bind() puts its tensors
    // Keys matching these prefixes are never reported as unexpected (e.g. tied embeddings).
    void ignore_prefix(const std::string& prefix) { ignored_.push_back(prefix); }
    void finish();  // throws dit::Error: "<component> (<file>): missing keys: a, b; ..."

private:
    Tensor load_checked(const std::string& key, const Shape& shape);  // records a shape mismatch

    const WeightStore& store_;
    std::string component_;
    kernels::Backend& ops_;
    std::set<std::string> bound_;
    std::vector<std::string> missing_, misshaped_, ignored_;
};

}  // namespace dit
