#pragma once
// Does a region's prompt change only its region? Measured in the procedural world (issue 7,
// docs/world.md): each case is a world caption that leaves part of the canvas empty, and a
// region (a half of the canvas) whose prompt asks for one object there. The same seed is
// generated without and with the region, and we measure
//   - the pixel change inside and outside the region: mean |with - without| per channel (0..255)
//     over the pixels inside the region mask and over those outside;
//   - with the harness's colour/shape analysis (prompt_adherence), whether the region's object
//     appears in its grid cell: colour right and placed there; shape right too.
// Outside pixels can change legitimately (self-attention carries the region's content to the
// whole image), so the figure is a ratio, not an identity.
#include <QImage>
#include <QRect>
#include <functional>
#include <string>
#include <vector>

#include "engine/pipeline/engine.h"
#include "studio/eval/prompt_adherence.h"

namespace dit::studio {

struct RegionalCase {
    std::string prompt;         // the global caption
    std::string region_prompt;  // what the region should show
    QRect region;               // canvas pixels (the mask is this rectangle)
    WorldScene expected;        // the region's object alone, on the global caption's background
};

// Case i of a `size` canvas: one of a fixed set of templates (objects, region halves, colours),
// cycled; docs and test use the same list.
RegionalCase regional_case(int index, int size);

struct RegionalCaseResult {
    RegionalCase spec;
    uint64_t seed = 0;
    double change_inside = 0, change_outside = 0;  // mean |with - without|, 0..255
    ObjectVerdict with, without;                    // the region's object in each image
    QImage image_with, image_without;
    bool placed(const ObjectVerdict& v) const { return v.colour_right && v.position_right; }
};

struct RegionalSummary {
    std::vector<RegionalCaseResult> cases;
    double change_inside = 0, change_outside = 0;  // means over the cases
    int placed_with = 0, placed_without = 0;       // object's colour right and in its cell
    int shape_with = 0, shape_without = 0;          // ... and its shape right as well
    double outside_over_inside() const { return change_inside > 0 ? change_outside / change_inside : 0; }
};

// Generates each of `cases` cases (case i with seed `seed + i`) without and with its region
// through `engine`, with `base`'s model, size (square, base.width), steps, sampler, cfg and
// backend. `progress` (optional) is called after each case.
RegionalSummary measure_regional_prompts(Engine& engine, const Request& base, int cases, uint64_t seed,
                                         const std::function<void(const RegionalCaseResult&)>& progress = {});

}  // namespace dit::studio
