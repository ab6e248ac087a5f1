#include "engine/pipeline/controls.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <list>
#include <map>
#include <mutex>

#include "engine/error.h"
#include "engine/models/autoencoder_kl/autoencoder_kl.h"

namespace dit {
namespace {

std::string label(const ControlInput& c, size_t index) {
    return "control " + std::to_string(index + 1) + " (" + (c.type.empty() ? "no type" : c.type) + ")";
}

uint64_t fnv1a(const std::vector<uint8_t>& bytes) {
    uint64_t h = 1469598103934665603ull;
    for (uint8_t b : bytes) h = (h ^ b) * 1099511628211ull;
    return h;
}

// What makes a loaded adapter stale: its files' sizes and modification times.
std::string folder_stamp(const std::filesystem::path& dir) {
    std::string stamp;
    std::error_code ec;
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec))
        if (e.is_regular_file(ec)) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
        const auto t = std::filesystem::last_write_time(f, ec).time_since_epoch().count();
        stamp += f.filename().string() + ":" + std::to_string(std::filesystem::file_size(f, ec)) + ":" +
                 std::to_string(t) + ";";
    }
    return stamp;
}

// Both caches are process-wide: the studio's worker makes one Engine, tests and the bench make
// several, and a condition is worth reusing across all of them.
struct Caches {
    std::mutex mutex;
    struct AdapterEntry {
        std::string stamp;
        std::shared_ptr<const PixArtControlNetAdapter> adapter;
    };
    std::map<std::string, AdapterEntry> adapters;  // key: folder + base sizes
    struct ConditionEntry {
        std::string key;
        std::vector<uint8_t> rgb;  // compared in full: the hash only finds the entry
        Tensor condition;
    };
    std::list<ConditionEntry> conditions;  // most recently used first
    ControlCacheStats stats;
    static constexpr size_t kMaxConditions = 8, kMaxAdapters = 4;
};

Caches& caches() {
    static Caches c;
    return c;
}

std::shared_ptr<const PixArtControlNetAdapter> cached_adapter(const std::filesystem::path& dir,
                                                              const PixArtConfig& base, kernels::Backend& ops) {
    std::error_code ec;
    const auto canon = std::filesystem::weakly_canonical(dir, ec);
    if (ec || !std::filesystem::is_directory(canon)) throw Error(dir.string() + ": control adapter folder does not exist");
    const std::string key = canon.string() + "|" + std::to_string(base.num_layers) + "x" +
                            std::to_string(base.heads) + "x" + std::to_string(base.head_dim) + "x" +
                            std::to_string(base.cross_attention_dim) + "|" + ops.name();
    const std::string stamp = folder_stamp(canon);
    auto& c = caches();
    {
        std::lock_guard lock(c.mutex);
        auto it = c.adapters.find(key);
        if (it != c.adapters.end() && it->second.stamp == stamp) return it->second.adapter;
    }
    std::shared_ptr<const PixArtControlNetAdapter> adapter = PixArtControlNetAdapter::load(canon, base, ops);
    std::lock_guard lock(c.mutex);
    if (c.adapters.size() >= Caches::kMaxAdapters && !c.adapters.count(key)) c.adapters.erase(c.adapters.begin());
    c.adapters[key] = {stamp, adapter};
    ++c.stats.adapter_loads;
    return adapter;
}

}  // namespace

bool control_acts_at(const ControlInput& control, int step, int steps) {
    if (!control.enabled || control.weight == 0.0f || steps < 1) return false;
    // In float, so a fraction like 0.3 meets step 3 of 10 exactly.
    const float begin = static_cast<float>(step) / static_cast<float>(steps);
    const float finish = static_cast<float>(step + 1) / static_cast<float>(steps);
    return begin >= control.start && finish <= control.end;
}

void validate_control(const ControlInput& c, size_t index, int width, int height, int adapter_blocks) {
    const std::string who = label(c, index);
    if (c.type.empty()) throw Error(who + ": field 'type' is empty (edges, pose, ...)");
    for (char ch : c.type)
        if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-'))
            throw Error(who + ": field 'type' may hold only letters, digits, '_' and '-'");
    if (!std::isfinite(c.weight)) throw Error(who + ": field 'weight' must be a finite number");
    if (!(c.start >= 0.0f && c.start <= 1.0f) || !(c.end >= 0.0f && c.end <= 1.0f) || c.start > c.end)
        throw Error(who + ": fields 'start' and 'end' must satisfy 0 <= start <= end <= 1 (got " +
                    std::to_string(c.start) + ", " + std::to_string(c.end) + ")");
    if (c.image.empty()) throw Error(who + ": field 'image' is empty");
    if (c.image.width != width || c.image.height != height)
        throw Error(who + ": field 'image' is " + std::to_string(c.image.width) + "x" + std::to_string(c.image.height) +
                    " but the request is " + std::to_string(width) + "x" + std::to_string(height));
    if (c.image.rgb.size() != size_t(c.image.width) * c.image.height * 3)
        throw Error(who + ": field 'image' holds " + std::to_string(c.image.rgb.size()) + " bytes, not " +
                    std::to_string(size_t(c.image.width) * c.image.height * 3) + " (RGB)");
    for (int j : c.skip_blocks)
        if (j < 0 || (adapter_blocks >= 0 && j >= adapter_blocks))
            throw Error(who + ": field 'skip_blocks' names control block " + std::to_string(j) + "; the adapter has " +
                        (adapter_blocks >= 0 ? "blocks 0.." + std::to_string(adapter_blocks - 1) : "no such block"));
}

std::filesystem::path control_adapter_dir(const ControlInput& c, const std::filesystem::path& model_dir) {
    return c.adapter_dir.empty() ? model_dir / ("controlnet_" + c.type) : c.adapter_dir;
}

ControlCacheStats control_cache_stats() {
    auto& c = caches();
    std::lock_guard lock(c.mutex);
    return c.stats;
}

void clear_control_caches() {
    auto& c = caches();
    std::lock_guard lock(c.mutex);
    c.adapters.clear();
    c.conditions.clear();
    c.stats = {};
}

ControlSet::~ControlSet() = default;

std::unique_ptr<ControlSet> ControlSet::create(const PixArtTransformer2DModel& base, const Tensor& prompt_embeds,
                                               const PixArtTransformer2DModel::PromptCache& base_prompt) {
    auto set = std::unique_ptr<ControlSet>(new ControlSet());
    set->base_ = &base;
    set->prompt_embeds_ = &prompt_embeds;
    set->B_ = base_prompt.B;
    set->L_ = base_prompt.L;
    set->D_ = base.config().hidden();
    set->key_bias_ = base_prompt.key_bias.ptr();
    return set;
}

void ControlSet::add(const ControlInput& input, std::shared_ptr<const PixArtControlNetAdapter> adapter,
                     Tensor condition, kernels::Backend& ops) {
    const int blocks = adapter->config().num_layers;
    Prepared p;
    p.skip.assign(blocks, 0);
    for (int j : input.skip_blocks) {
        if (j < 0 || j >= blocks)
            throw Error("control " + std::to_string(controls_.size() + 1) + " (" + input.type +
                        "): field 'skip_blocks' names control block " + std::to_string(j) + "; the adapter has blocks 0.." +
                        std::to_string(blocks - 1));
        p.skip[j] = 1;
    }
    if (condition.ndim() != 2 || condition.dim(1) != D_ || (!controls_.empty() && condition.dim(0) != N_))
        throw Error("control " + std::to_string(controls_.size() + 1) + " (" + input.type + "): condition " +
                    shape_str(condition.shape()) + " does not fit [" + std::to_string(N_) + ", " +
                    std::to_string(D_) + "]");
    if (caption_.empty())
        caption_ = base_->caption_projection().forward(*prompt_embeds_, B_ * L_, ops);
    p.prompt = adapter->encode_prompt(caption_, static_cast<int>(B_), L_, ops);
    p.input = input;
    p.input.image = Image();
    p.adapter = std::move(adapter);
    p.condition = std::move(condition);
    N_ = p.condition.dim(0);
    controls_.push_back(std::move(p));
    const Shape s{B_, N_, D_};
    state_.push_back(Tensor::on(ops, s));
    if (!buf_) {
        sum_ = Tensor::on(ops, s);
        residual_ = Tensor::on(ops, s);
        buf_ = std::make_unique<pixart::BlockBuffers>(B_, N_, D_, ops);
    }
    acting_.assign(controls_.size(), 0);
}

std::unique_ptr<ControlSet> ControlSet::prepare(const Request& req, const std::filesystem::path& model_dir,
                                                const PixArtTransformer2DModel& base, const AutoencoderKL& vae,
                                                const Tensor& prompt_embeds,
                                                const PixArtTransformer2DModel::PromptCache& base_prompt, int steps,
                                                kernels::Backend& ops, const std::function<bool()>* cancelled) {
    for (size_t i = 0; i < req.controls.size(); ++i) validate_control(req.controls[i], i, req.width, req.height);
    auto set = create(base, prompt_embeds, base_prompt);
    for (size_t i = 0; i < req.controls.size(); ++i) {
        const ControlInput& in = req.controls[i];
        bool acts = false;
        for (int s = 0; s < steps && !acts; ++s) acts = control_acts_at(in, s, steps);
        if (!acts) continue;  // off, weight 0 or outside the schedule: never loaded, never run
        std::shared_ptr<const PixArtControlNetAdapter> adapter;
        try {
            adapter = cached_adapter(control_adapter_dir(in, model_dir), base.config(), ops);
        } catch (const Error& e) {
            throw Error(label(in, i) + ": " + e.what());
        }
        validate_control(in, i, req.width, req.height, adapter->config().num_layers);

        // The condition: cached by content, so an unchanged map costs nothing on the next request.
        const std::string key = std::to_string(fnv1a(in.image.rgb)) + "|" + std::to_string(in.image.width) + "x" +
                                std::to_string(in.image.height) + "|" + model_dir.string() + "|" +
                                adapter->dir().string() + "|" + ops.name();
        Tensor condition;
        auto& c = caches();
        {
            std::lock_guard lock(c.mutex);
            for (auto it = c.conditions.begin(); it != c.conditions.end(); ++it)
                if (it->key == key && it->rgb == in.image.rgb) {
                    condition = it->condition;
                    c.conditions.splice(c.conditions.begin(), c.conditions, it);
                    ++c.stats.condition_hits;
                    break;
                }
        }
        if (condition.empty()) {
            const Tensor latent = vae.encode(tensor_from_image(in.image), ops, cancelled);  // [1, C, h, w]
            condition = adapter->condition(base, latent, ops);
            std::lock_guard lock(c.mutex);
            c.conditions.push_front({key, in.image.rgb, condition});
            if (c.conditions.size() > Caches::kMaxConditions) c.conditions.pop_back();
            ++c.stats.condition_misses;
        }
        set->add(in, std::move(adapter), std::move(condition), ops);
    }
    return set;
}

bool ControlSet::install(ForwardExtras& extras, int step, int steps, kernels::Backend& ops) {
    bool any = false;
    for (size_t k = 0; k < controls_.size(); ++k) {
        acting_[k] = control_acts_at(controls_[k].input, step, steps) ? 1 : 0;
        any = any || acting_[k];
    }
    if (!any) {
        extras.after_block = nullptr;
        return false;
    }
    extras.after_block = [this, &ops](int block, float* x, int64_t n, const float* modulation) {
        after_block(block, x, n, modulation, ops);
    };
    return true;
}

void ControlSet::after_block(int block, float* x, int64_t n, const float* modulation, kernels::Backend& ops) {
    // x: [B, n, D]
    if (n != N_)
        throw Error("controls need every image token in each forward (this forward has " + std::to_string(n) +
                    " of the control map's " + std::to_string(N_) + "); lazy inpainting cannot run with controls");
    const int64_t total = B_ * N_ * D_;
    bool added = false;
    for (size_t k = 0; k < controls_.size(); ++k) {
        if (!acting_[k]) continue;
        const Prepared& p = controls_[k];
        const auto& idx = p.adapter->config().block_indices;
        for (size_t j = 0; j < idx.size(); ++j) {
            if (idx[j] != block) continue;
            float* state = state_[k].ptr();
            // Every control reads the base stream before any residual of this hook is added.
            if (j == 0) p.adapter->begin(x, p.condition, state, B_, N_, ops);
            if (p.skip[j]) continue;  // pruned: the state passes through, no residual
            p.adapter->block(static_cast<int>(j), state, residual_.ptr(), modulation, p.prompt, key_bias_, *buf_,
                             ops);
            float* sum = sum_.ptr();
            float* r = residual_.ptr();
            // Weighted in its own pass: fused into the sum (FMA), the total would depend on the
            // order of the controls.
            const float w = p.input.weight;
            if (w != 1.0f) ops.affine(r, total, w, 0.0f);
            if (!added) {
                ops.copy(sum, r, sizeof(float) * size_t(total));
                added = true;
            } else {
                ops.add_gated(sum, r, nullptr, 1, 1, total);
            }
        }
    }
    if (added) ops.add_gated(x, sum_.ptr(), nullptr, 1, 1, total);
}

}  // namespace dit
