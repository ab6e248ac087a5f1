#include "engine/io/weights.h"

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

#include "engine/error.h"
#include "engine/io/config.h"
#include "engine/io/gguf_names.h"

namespace dit {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Problems listed per category before the message just counts the rest.
constexpr size_t kListLimit = 20;

bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

bool is_pickle_name(const fs::path& p) {
    const std::string e = lower(p.extension().string());
    return e == ".ckpt" || e == ".bin" || e == ".pt" || e == ".pth" || e == ".pkl";
}

json read_index(const fs::path& index) {
    // Config gives parse errors with line and column, naming the index file.
    return Config::read(index).json();
}

// A folder's weights: the diffusers/transformers names first, then a lone safetensors or GGUF file.
fs::path resolve_folder(const fs::path& dir) {
    for (const char* name : {"diffusion_pytorch_model.safetensors", "model.safetensors",
                             "diffusion_pytorch_model.safetensors.index.json", "model.safetensors.index.json",
                             "diffusion_pytorch_model.gguf", "model.gguf"})
        if (fs::is_regular_file(dir / name)) return dir / name;
    std::vector<fs::path> safetensors, indexes, pickles;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
        if (!e.is_regular_file()) continue;
        const std::string name = e.path().filename().string();
        if (ends_with(lower(name), ".safetensors") || ends_with(lower(name), ".gguf")) safetensors.push_back(e.path());
        else if (ends_with(lower(name), ".safetensors.index.json")) indexes.push_back(e.path());
        else if (is_pickle_name(e.path())) pickles.push_back(e.path());
    }
    if (ec) throw Error(dir.string() + ": cannot list the folder: " + ec.message());
    std::sort(safetensors.begin(), safetensors.end());
    std::sort(indexes.begin(), indexes.end());
    std::sort(pickles.begin(), pickles.end());
    if (indexes.size() == 1) return indexes[0];
    if (indexes.empty() && safetensors.size() == 1) return safetensors[0];
    if (!indexes.empty() || !safetensors.empty()) {
        std::string names;
        for (const auto& p : indexes.empty() ? safetensors : indexes)
            names += (names.empty() ? "" : ", ") + p.filename().string();
        throw Error(dir.string() + ": several weight files (" + names +
                    ") and none named diffusion_pytorch_model.safetensors or model.safetensors (or .gguf)");
    }
    if (!pickles.empty())
        throw Error(pickles[0].string() + ": is a pickle checkpoint (" + lower(pickles[0].extension().string()) +
                    "); pickle files can run arbitrary code when loaded, so DiT Studio only reads "
                    ".safetensors — convert it with a trusted tool");
    throw Error(dir.string() + ": no .safetensors or .gguf weights found");
}

}  // namespace

WeightStore WeightStore::open(const fs::path& path) {
    std::error_code ec;
    if (!fs::exists(path, ec)) throw Error(path.string() + ": not found");
    const fs::path file = fs::is_directory(path, ec) ? resolve_folder(path) : path;

    WeightStore store;
    store.source_ = file;
    if (!ends_with(lower(file.filename().string()), ".json")) {
        store.files_.push_back(WeightFile::open(file));
        store.adopt(0, file.string() + ": ");
        store.fold_fp8_scales();
        return store;
    }

    const json index = read_index(file);
    const std::string where = file.string() + ": ";
    if (!index.is_object() || !index.contains("weight_map"))
        throw Error(where + "shard index has no \"weight_map\"");
    const json& map = index["weight_map"];
    if (!map.is_object() || map.empty())
        throw Error(where + "\"weight_map\" should be a non-empty object {key: shard file}");

    // Open each shard once, in the order the map first names it.
    std::map<std::string, size_t> shard_index;
    for (const auto& [key, shard] : map.items()) {
        if (!shard.is_string())
            throw Error(where + "weight_map entry for '" + key + "' should be a file name, found " + shard.dump());
        const std::string name = shard.get<std::string>();
        const fs::path rel(name);
        if (rel.empty() || rel.is_absolute() ||
            std::any_of(rel.begin(), rel.end(), [](const fs::path& c) { return c == ".."; }))
            throw Error(where + "shard '" + name + "' (for '" + key +
                        "') must be a file name relative to the index's folder");
        if (shard_index.count(name)) continue;
        const fs::path shard_path = file.parent_path() / rel;
        if (!fs::exists(shard_path, ec))
            throw Error(where + "shard '" + name + "' (listed for '" + key + "') is missing: " +
                        shard_path.string() + " not found");
        shard_index[name] = store.files_.size();
        store.files_.push_back(WeightFile::open(shard_path));
    }
    for (size_t i = 0; i < store.files_.size(); ++i) store.adopt(i, where);
    for (const auto& [key, shard] : map.items()) {
        const auto it = store.where_.find(key);
        const size_t want = shard_index.at(shard.get<std::string>());
        if (it == store.where_.end() || it->second.file != want)
            throw Error(where + "weight_map puts '" + key + "' in " + shard.get<std::string>() +
                        ", but that shard has no such tensor");
    }
    store.fold_fp8_scales();
    return store;
}

// Takes file `i`'s tensors under their Hugging Face names; a name met twice is an error.
void WeightStore::adopt(size_t i, const std::string& where) {
    const WeightFile& f = *files_[i];
    const auto& tensors = f.tensors();
    const bool llama_t5 = uses_llama_t5_names(f.metadata(), tensors.count("enc.output_norm.weight") != 0);
    const bool gated = tensors.count("enc.blk.0.ffn_gate.weight") != 0;
    for (const auto& [name, info] : tensors) {
        std::string key = name;
        if (llama_t5)
            if (std::string hf = t5_name_from_llama(name, gated); !hf.empty()) key = std::move(hf);
        const auto [it, fresh] = where_.emplace(key, Entry{i, name, 1.0f});
        if (fresh) continue;
        if (it->second.file == i)
            throw Error(where + "tensors '" + it->second.name + "' and '" + name + "' are both '" + key + "'");
        std::string a = files_[it->second.file]->path().filename().string();
        std::string b = f.path().filename().string();
        if (b < a) std::swap(a, b);
        throw Error(where + "key '" + key + "' appears in two shards: " + a + " and " + b);
    }
}

// ComfyUI's scaled FP8: `<m>.weight` holds weight / s in FP8 and `<m>.scale_weight` holds s.
void WeightStore::fold_fp8_scales() {
    const std::string suffix = ".scale_weight";
    std::vector<std::string> folded;
    for (const auto& [key, entry] : where_) {
        if (!ends_with(key, suffix)) continue;
        const auto weight = where_.find(key.substr(0, key.size() - suffix.size()) + ".weight");
        if (weight == where_.end()) continue;  // left for the binder to report as unexpected
        const std::string at = source_.string() + ": '" + key + "': ";
        const DType stored = files_[weight->second.file]->tensors().at(weight->second.name).dtype;
        if (stored != DType::F8_E4M3 && stored != DType::F8_E5M2)
            throw Error(at + "a scale_weight belongs to an FP8 weight, but '" + weight->first + "' is " +
                        dtype_name(stored));
        const Tensor s = files_[entry.file]->load(entry.name).to_f32();
        if (s.numel() != 1) throw Error(at + "should hold one value (one scale per tensor), found " + shape_str(s.shape()));
        if (!std::isfinite(s[0])) throw Error(at + "the scale is not finite");
        weight->second.scale = s[0];
        folded.push_back(key);
    }
    for (const std::string& key : folded) where_.erase(key);
    // Markers of the format and the scales of the FP8 matmul's input, which f32 compute does not use.
    for (auto it = where_.begin(); it != where_.end();)
        it = it->first == "scaled_fp8" || (!folded.empty() && ends_with(it->first, ".scale_input")) ? where_.erase(it)
                                                                                                     : std::next(it);
}

bool WeightStore::contains(const std::string& key) const { return where_.count(key) != 0; }

uint64_t WeightStore::stored_bytes() const {
    uint64_t total = 0;
    for (const auto& [key, e] : where_) {
        const TensorInfo& info = files_[e.file]->tensors().at(e.name);
        total += info.end - info.begin;
    }
    return total;
}

std::string WeightStore::dtype_summary() const {
    std::map<std::string, int> count;
    for (const auto& [key, e] : where_) ++count[dtype_name(files_[e.file]->tensors().at(e.name).dtype)];
    std::string out;
    for (const auto& [name, n] : count) out += (out.empty() ? "" : ", ") + name + " " + std::to_string(n);
    return out;
}

std::vector<std::string> WeightStore::keys() const {
    std::vector<std::string> out;
    out.reserve(where_.size());
    for (const auto& [key, i] : where_) out.push_back(key);
    return out;
}

const TensorInfo& WeightStore::info(const std::string& key) const {
    const auto it = where_.find(key);
    if (it == where_.end()) throw Error(source_.string() + ": no tensor named '" + key + "'");
    return files_[it->second.file]->tensors().at(it->second.name);
}

Tensor WeightStore::load(const std::string& key) const {
    const auto it = where_.find(key);
    if (it == where_.end()) throw Error(source_.string() + ": no tensor named '" + key + "'");
    const Tensor t = files_[it->second.file]->load(it->second.name);
    return it->second.scale == 1.0f ? t : t.scaled(it->second.scale);
}

ParamBinder::ParamBinder(const WeightStore& store, std::string component, kernels::Backend& ops)
    : store_(store), component_(std::move(component)), ops_(ops) {}

Tensor ParamBinder::bind(const std::string& key, const Shape& shape) {
    const Tensor t = bind_stored(key, shape);
    return t.empty() ? t : t.to_f32().to(ops_);
}

Tensor ParamBinder::bind_host(const std::string& key, const Shape& shape) { return bind_stored(key, shape).to_f32(); }

Tensor ParamBinder::bind_stored(const std::string& key, const Shape& shape) {
    bound_.insert(key);
    if (!store_.contains(key)) {
        missing_.push_back("'" + key + "' (expected " + shape_str(shape) + ")");
        return {};
    }
    return load_checked(key, shape);
}

Tensor ParamBinder::bind_optional(const std::string& key, const Shape& shape) {
    bound_.insert(key);
    if (!store_.contains(key)) return {};
    const Tensor t = load_checked(key, shape);
    return t.empty() ? t : t.to_f32().to(ops_);
}

Tensor ParamBinder::load_checked(const std::string& key, const Shape& shape) {
    const TensorInfo& info = store_.info(key);
    if (info.shape != shape) {
        misshaped_.push_back("'" + key + "' (expected " + shape_str(shape) + ", found " + shape_str(info.shape) + ")");
        return {};
    }
    return store_.load(key);
}

void ParamBinder::finish() {
    std::vector<std::string> unexpected;
    for (const std::string& key : store_.keys()) {
        if (bound_.count(key)) continue;
        const bool ignored = std::any_of(ignored_.begin(), ignored_.end(),
                                         [&](const std::string& p) { return key.compare(0, p.size(), p) == 0; });
        if (!ignored) unexpected.push_back("'" + key + "'");
    }
    const size_t total = missing_.size() + misshaped_.size() + unexpected.size();
    if (total == 0) return;

    std::string msg = component_ + " weights (" + store_.source().string() + "): " + std::to_string(total) +
                      (total == 1 ? " problem" : " problems");
    const char* sep = ": ";
    auto section = [&](const char* title, const std::vector<std::string>& items) {
        if (items.empty()) return;
        msg += sep;
        msg += title;
        msg += ": ";
        for (size_t i = 0; i < items.size() && i < kListLimit; ++i) msg += (i ? ", " : "") + items[i];
        if (items.size() > kListLimit) msg += " and " + std::to_string(items.size() - kListLimit) + " more";
        sep = "; ";
    };
    section("missing", missing_);
    section("mis-shaped", misshaped_);
    section("unexpected", unexpected);
    throw Error(msg);
}

}  // namespace dit
