#pragma once
// dit-cli eval's inpainting cases (docs/inpainting.md): the world's own image with its first
// object erased to the background colour, the object's box (grown a little) as the mask, the
// full caption as the prompt; scored inside the mask with inpaint_prompt_adherence, outside it
// with inpaint_outside_diff (must be 0) and at its border with inpaint_seam.
#include <string>

#include "engine/pipeline/engine.h"
#include "studio/eval/inpaint_metrics.h"
#include "studio/world/world_renderer.h"

namespace dit::cli {

struct InpaintTally {
    std::string mode;
    studio::AdherenceTally adherence;
    int cases = 0, outside_max = 0, outside_changed = 0;
    double seam = 0, seconds = 0;
};

// Runs one case in tally.mode (skipped when the scene has no object).
void eval_inpaint_case(Engine& engine, const Request& base, const studio::WorldScene& scene,
                       const studio::WorldRender& truth, InpaintTally& tally);
// The table rows of one mode; `full` (may be null) adds the ratio of the scores to full mode's.
void print_inpaint_rows(const InpaintTally& t, const InpaintTally* full);

}  // namespace dit::cli
