#pragma once
// Request::attention (issue 21): which self-attention the transformer's blocks run.
//   "full"        every token sees every token (the plain forward, bit-identical to before);
//   "grouped[:G]" GRAT's grouped sparse attention (kernels::GratAttentionArgs) in G x G token
//                 groups (default 8) seeing their neighbouring groups and their row and column
//                 of groups; G must divide the token grid (the image / 8 / patch size per side);
//   "auto"        the default: grouped:8 from kAutoGratTokens tokens (256², a 4096 px PixArt
//                 image) where 8 divides the grid, full below. Chosen from bench_grat_attention
//                 (docs/benchmarks.md, issue 21): group 8 is the faster grouping at every size
//                 (~10x at 128², ~18x at 256²), but its error against full attention is not
//                 known to be small on a trained model at those sizes, so it is the default
//                 only where full attention is out of reach on a CPU (half an hour a layer);
//                 at 128² it is an opt-in (--attention grouped).
// Lazy inpainting's cached steps keep full attention over their cache (a subset of queries has
// no token grid); refresh steps and every other forward follow the setting.
#include <cstdint>
#include <string>

namespace dit {

constexpr int64_t kAutoGratTokens = 256 * 256;
constexpr int64_t kDefaultGratGroup = 8;

// Checks the setting alone (the CLI does this before loading anything). Throws dit::Error naming
// `attention` and the accepted forms for anything else, or a group below 1.
void check_attention_setting(const std::string& setting);

// The group size for a grid_h x grid_w token grid, 0 for full attention. Throws dit::Error when
// an explicit group does not divide the grid (naming both, and the image size it comes from).
int64_t grat_group_for(const std::string& setting, int64_t grid_h, int64_t grid_w, int64_t pixels_per_token);

}  // namespace dit
