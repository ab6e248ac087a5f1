#pragma once
// Step caching (TeaCache, Liu et al. 2024), for any transformer whose first block modulates its
// input by the timestep (adaLN: PixArt, Sana). Between neighbouring denoising steps the output of
// the block stack changes about as much as the timestep-modulated input of its first block does;
// when the relative L1 change of that input, accumulated since the stack last ran, stays under a
// threshold, the stack is skipped and its last residual (output minus input of the stack) is
// added to this step's input instead.
//
// The change is used raw, not through a fitted polynomial: TeaCache's published coefficients are
// fitted per model (FLUX, HunyuanVideo, ...) to map input change to output change, none exist for
// PixArt or our default model, and a monotone rescale only renames the threshold, which is
// calibrated on the model anyway (docs/benchmarks.md, "#21 step caching").
//
// The first and last steps always run the stack, as TeaCache does: the first has nothing to
// reuse, the last sets the final detail. A caller forces a run where something the signal does
// not see changes (a control starting or stopping).
#include <cstdint>
#include <string>
#include <vector>

#include "engine/tensor.h"
#include "kernels/cpu/ops.h"

namespace dit {

// The `cache` option: "off" or "teacache:THRESH" (THRESH a finite number >= 0; 0 never skips).
struct StepCacheSetting {
    bool on = false;
    float threshold = 0.0f;
    // Throws dit::Error naming the option and what it accepts.
    static StepCacheSetting parse(const std::string& text);
};

class StepCache {
public:
    explicit StepCache(float threshold);

    // Before step `step` of `steps`: whether this step must run the stack whatever the signal.
    void begin_step(int step, int steps, bool force_run = false);
    // The transformer, with its first block's modulated input [B, N, D] (n floats in ops's
    // memory): true when the stack may be skipped this step. Always records the input, which the
    // next step is measured against.
    bool skip(const float* modulated, int64_t n, kernels::Backend& ops);
    // A skipped step: x [B, N, D] += the last residual.
    void reuse(float* x, int64_t n, kernels::Backend& ops) const;
    // A step that runs the stack: its input before (keep_input) and its output after
    // (store_residual, residual = output - input).
    void keep_input(const float* x, int64_t n, kernels::Backend& ops);
    void store_residual(const float* x, int64_t n, kernels::Backend& ops);

    int skipped() const { return skipped_; }
    float threshold() const { return threshold_; }

private:
    float threshold_;
    bool force_ = true;
    double accumulated_ = 0;
    std::vector<float> previous_;  // host copy of the last modulated input
    std::vector<float> current_;   // download buffer (device backends)
    Tensor residual_;              // in ops's memory: output - input of the last run of the stack
    int skipped_ = 0;
};

}  // namespace dit
