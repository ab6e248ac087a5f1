#include "engine/io/quantize_model.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "engine/error.h"
#include "engine/io/config.h"
#include "engine/io/gguf_names.h"
#include "engine/io/gguf_writer.h"
#include "engine/io/safetensors.h"
#include "engine/io/weights.h"
#include "kernels/cpu/quant.h"

namespace dit {

namespace fs = std::filesystem;

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool is_weight_file(const fs::path& p) {
    const std::string n = p.filename().string();
    return ends_with(n, ".safetensors") || ends_with(n, ".safetensors.index.json") || ends_with(n, ".gguf");
}

// An owned tensor of `dtype` holding x quantized; F8 tensors get one scale that maps the
// largest magnitude onto the format's largest value (ComfyUI's scale_weight).
Tensor encode(const Tensor& x, DType dtype) {
    float scale = 1.0f;
    const float* src = x.data();
    std::vector<float> scaled;
    if (dtype == DType::F8_E4M3 || dtype == DType::F8_E5M2) {
        float amax = 0.0f;
        for (int64_t i = 0; i < x.numel(); ++i) amax = std::max(amax, std::fabs(src[i]));
        scale = amax > 0.0f ? amax / (dtype == DType::F8_E4M3 ? 448.0f : 57344.0f) : 1.0f;
        scaled.resize(size_t(x.numel()));
        for (int64_t i = 0; i < x.numel(); ++i) scaled[size_t(i)] = src[i] / scale;
        src = scaled.data();
    }
    const int64_t bytes = storage_bytes(dtype, x.numel());
    auto buf = std::shared_ptr<unsigned char[]>(new unsigned char[size_t(std::max<int64_t>(bytes, 1))]);
    kernels::quantize(dtype, src, buf.get(), x.numel());
    return Tensor::view(buf.get(), dtype, x.shape(), std::shared_ptr<const void>(buf, buf.get())).scaled(scale);
}

// The file a component's weights go to, named as diffusers (transformer) and transformers
// (text encoder) name theirs.
fs::path weights_name(const std::string& component, DType target) {
    const std::string stem = component == "text_encoder" ? "model" : "diffusion_pytorch_model";
    return stem + (kernels::is_block_format(target) ? ".gguf" : ".safetensors");
}

}  // namespace

ComponentReport quantize_component(const fs::path& src_dir, const fs::path& dst_dir, const std::string& component,
                                   DType target) {
    const WeightStore store = WeightStore::open(src_dir);
    ComponentReport r;
    r.component = component;
    r.file = dst_dir / weights_name(component, target);
    std::map<std::string, Tensor> out;
    for (const std::string& key : store.keys()) {
        const Tensor t = store.load(key);
        const DType dtype = quantized_dtype(key, t.shape(), t.dtype(), target);
        r.bytes_before += uint64_t(storage_bytes(t.dtype(), t.numel()));
        if (dtype == t.dtype() && t.scale() == 1.0f) {
            out[key] = t;  // a view of the mapping: written as it is stored
            ++r.kept;
            continue;
        }
        const Tensor q = encode(t.to_f32(), dtype);
        ++(dtype == t.dtype() ? r.kept : r.quantized);
        if (q.scale() != 1.0f) {
            out[key] = q.scaled(1.0f);
            out[key.substr(0, key.size() - std::string(".weight").size()) + ".scale_weight"] =
                Tensor::from({}, {q.scale()});
        } else {
            out[key] = q;
        }
    }
    if (kernels::is_block_format(target)) {
        // T5 goes out under llama.cpp's names, as T5 GGUF files are (and its longest Hugging
        // Face names exceed GGUF's 63 bytes); the reader maps them back.
        std::string arch = Config::read(src_dir / "config.json").get_string("_class_name", component);
        if (component == "text_encoder") {
            arch = "t5encoder";
            std::map<std::string, Tensor> renamed;
            for (auto& [key, t] : out) {
                const std::string llama = llama_name_from_t5(key);
                renamed[llama.empty() ? key : llama] = std::move(t);
            }
            out = std::move(renamed);
        }
        save_gguf(r.file, out, {{"general.architecture", arch}, {"general.quantized_by", "dit-cli quantize"}});
    } else {
        // ComfyUI marks a scaled FP8 checkpoint with an empty tensor of this name.
        if (r.quantized) {
            const auto marker = std::shared_ptr<unsigned char[]>(new unsigned char[1]);
            out["scaled_fp8"] = Tensor::view(marker.get(), target, {0}, std::shared_ptr<const void>(marker, marker.get()));
        }
        save_safetensors(r.file, out, {{"quantized_by", "dit-cli quantize"}});
    }
    return r;
}

DType quantized_dtype(const std::string& name, const Shape& shape, DType stored, DType target) {
    // Already quantized input stays as it is unless re-quantizing it is asked for explicitly.
    const DType keep = kernels::is_block_format(stored) || stored == DType::F8_E4M3 || stored == DType::F8_E5M2
                           ? DType::F32 : stored;
    if (shape.size() != 2 || !ends_with(name, ".weight") || shape_numel(shape) < kMinQuantizedValues) return keep;
    for (const char* word : {"embed", "shared", "norm", "relative_attention_bias", "scale_shift_table"})
        if (name.find(word) != std::string::npos) return keep;
    const int64_t row = shape[1];
    DType t = target;
    if (row % block_size(t) != 0) {
        if (t == DType::Q4_K) t = DType::Q5_0;
        else if (t == DType::Q5_K) t = DType::Q5_1;
        else if (t == DType::Q6_K) t = DType::Q8_0;
    }
    return row % block_size(t) == 0 ? t : keep;
}

std::vector<ComponentReport> quantize_model(const fs::path& model_dir, const fs::path& out_dir, DType target,
                                            const std::vector<std::string>& components) {
    std::error_code ec;
    if (!fs::is_directory(model_dir / "", ec)) throw Error(model_dir.string() + ": model folder does not exist");
    if (!fs::is_regular_file(model_dir / "model_index.json"))
        throw Error(model_dir.string() + ": not a diffusers folder (no model_index.json)");
    if (fs::exists(out_dir, ec)) throw Error(out_dir.string() + ": already exists; quantize writes a new folder");
    for (const std::string& c : components)
        if (!fs::is_directory(model_dir / c))
            throw Error(model_dir.string() + ": has no '" + c + "' component to quantize");

    const fs::path tmp = out_dir.string() + ".tmp." + std::to_string(::getpid());
    fs::remove_all(tmp, ec);
    std::vector<ComponentReport> reports;
    try {
        for (auto it = fs::recursive_directory_iterator(model_dir); it != fs::recursive_directory_iterator(); ++it) {
            const fs::path rel = fs::relative(it->path(), model_dir);
            const std::string top = rel.begin()->string();
            const bool chosen = std::find(components.begin(), components.end(), top) != components.end();
            if (it->is_directory()) {
                fs::create_directories(tmp / rel);
            } else if (!(chosen && is_weight_file(it->path()))) {
                fs::create_directories((tmp / rel).parent_path());
                fs::copy_file(it->path(), tmp / rel);
            }
        }
        for (const std::string& c : components) reports.push_back(quantize_component(model_dir / c, tmp / c, c, target));
        fs::rename(tmp, out_dir);
    } catch (const fs::filesystem_error& e) {
        fs::remove_all(tmp, ec);
        throw Error(out_dir.string() + ": cannot write: " + e.what());
    } catch (...) {
        fs::remove_all(tmp, ec);
        throw;
    }
    for (ComponentReport& r : reports) r.file = out_dir / r.component / r.file.filename();
    return reports;
}

}  // namespace dit
