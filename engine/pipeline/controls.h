#pragma once
// The controls of one request (Request::controls) hooked into the PixArt forward: adapters
// loaded once and kept, each control's condition computed once and cached across requests
// (EasyControl's cached condition), the control blocks' cross-attention K/V once per generation,
// and per step the branches that act at that step (weight, start/end fraction, pruned blocks).
//
// Composition: every control reads the same base residual stream, and the sum of
// weight_k * after_proj residuals is added at each hook after all controls have read it, so the
// order of the controls does not matter (bit for bit with two; with more, up to rounding). A control that is off, has weight 0, or lies outside
// its fraction of the schedule is not run at all; a step with no acting control installs no hook,
// so the base forward is bit-identical to a request without controls.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <vector>

#include "engine/models/pixart/pixart_controlnet.h"
#include "engine/models/pixart/pixart_transformer.h"
#include "engine/pipeline/engine.h"
#include "engine/tensor.h"
#include "kernels/cpu/ops.h"

namespace dit {

class AutoencoderKL;

// diffusers' control_guidance_start/end rule: control acts at step i of n iff
// i / n >= start and (i + 1) / n <= end.
bool control_acts_at(const ControlInput& control, int step, int steps);

// Checks one control's fields (type, weight, start/end, image size, skip_blocks against
// `adapter_blocks` when >= 0); errors name the control ("control 1 (edges)") and the field.
void validate_control(const ControlInput& control, size_t index, int width, int height, int adapter_blocks = -1);

// The adapter folder of a control: adapter_dir, or <model_dir>/controlnet_<type>.
std::filesystem::path control_adapter_dir(const ControlInput& control, const std::filesystem::path& model_dir);

// Process-wide caches shared by every Engine: adapters by folder (reloaded when its files
// change) and conditions by (image content hash, size, model, adapter, backend).
struct ControlCacheStats {
    int64_t condition_hits = 0, condition_misses = 0, adapter_loads = 0;
};
ControlCacheStats control_cache_stats();
void clear_control_caches();

class ControlSet {
public:
    // Validates every control, then loads and prepares those that act at some step of `steps`
    // (the sampler's step count) and computes what is fixed for the generation. prompt_embeds:
    // the T5 output [B, L, caption_channels] (projected by the base's caption_projection once, for
    // the control blocks' K/V); base_prompt: the base's cache (its key bias is shared).
    // Throws dit::Error naming the control, file, key or field.
    static std::unique_ptr<ControlSet> prepare(const Request& request, const std::filesystem::path& model_dir,
                                               const PixArtTransformer2DModel& base, const AutoencoderKL& vae,
                                               const Tensor& prompt_embeds,
                                               const PixArtTransformer2DModel::PromptCache& base_prompt,
                                               int steps, kernels::Backend& ops, const std::function<bool()>* cancelled);
    ~ControlSet();

    // The parts prepare() is made of, for tests and benchmarks that bring their own adapters and
    // conditions: an empty set for this base and prompt, then one add() per control (settings
    // from `input`, its image unused; condition [N, D] from PixArtControlNetAdapter::condition).
    static std::unique_ptr<ControlSet> create(const PixArtTransformer2DModel& base, const Tensor& prompt_embeds,
                                              const PixArtTransformer2DModel::PromptCache& base_prompt);
    void add(const ControlInput& input, std::shared_ptr<const PixArtControlNetAdapter> adapter, Tensor condition,
             kernels::Backend& ops);

    bool empty() const { return controls_.empty(); }
    // Sets extras.after_block for step `step` of `steps` when any control acts then, else leaves
    // it empty; returns whether it installed the hook. The hook refers to this set and `ops`.
    bool install(ForwardExtras& extras, int step, int steps, kernels::Backend& ops);

    // The hook itself: x [B, n, D] after base block `block`; adds the acting controls' residuals.
    void after_block(int block, float* x, int64_t n, const float* modulation, kernels::Backend& ops);

    struct Prepared {
        ControlInput input;  // image dropped after the condition is made
        std::shared_ptr<const PixArtControlNetAdapter> adapter;
        Tensor condition;  // [N, D]: before_proj(pos_embed(vae(image)))
        PixArtControlNetAdapter::PromptCache prompt;
        std::vector<char> skip;  // per control block
    };

private:
    ControlSet() = default;
    const PixArtTransformer2DModel* base_ = nullptr;
    const Tensor* prompt_embeds_ = nullptr;
    Tensor caption_;  // [B*L, D]: the base's caption projection, made for the first control
    int L_ = 0;
    std::vector<Prepared> controls_;
    std::vector<char> acting_;  // per control, for the current step
    const float* key_bias_ = nullptr;
    int64_t B_ = 0, N_ = 0, D_ = 0;
    std::vector<Tensor> state_;  // per control [B, N, D]
    Tensor sum_, residual_;      // [B, N, D]
    std::unique_ptr<pixart::BlockBuffers> buf_;
};

}  // namespace dit
