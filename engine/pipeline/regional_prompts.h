#pragma once
// Regional prompts (Request::regions): image tokens under a region's mask attend, in every
// block's cross-attention, to that region's prompt tokens as well as the global prompt's.
//
// How it is built, once per generation:
//   - each region's prompt goes through T5 and the transformer's caption projection / per-block
//     to_k, to_v once (all regions in one batch), like the global prompt;
//   - per batch item the cross-attention keys/values are [global | region 0 | region 1 | ...]
//     concatenated along L, with key groups 0 (global) and r + 1 (region r); each prompt keeps
//     its own padding bias (-10000 on its <pad> tokens);
//   - per image token a query group: r + 1 when the token lies in region r, else 0. The region
//     masks are max-pooled to the token grid (a token is one patch of patch_size x VAE downscale
//     pixels; it is in a region when any of its pixels is inside, > 127), so a thin stroke still
//     claims its tokens. Where regions overlap, the later region (higher index) wins.
//   The attention kernel (kernels::AttentionArgs::query_group/key_group) lets a query of group g
//   see keys of groups 0 and g only, with no weight at all on the rest, so a token in no region
//   sees exactly the global prompt, as without regions.
//
// Classifier-free guidance: the unconditional item (batch item 0, the negative prompt) carries
// the region keys too, so both items have one key length, but all its queries are group 0:
// it sees only its own negative prompt, and its output equals the plain unconditional forward.
// Guidance then pushes each region towards "global + its region prompt" away from the negative
// prompt, which is what a region's prompt means.
//
// Composition: lazy inpainting takes these per-image-token groups and picks the active tokens'
// (PixArtTransformer2DModel::forward); controls keep their own cross-attention on the global
// prompt; crop inpainting crops and resizes the region masks with the image
// (engine/pipeline/inpaint_crop.cpp) and drops a region left empty by the crop.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "engine/models/pixart/pixart_transformer.h"
#include "engine/models/t5/t5_encoder.h"
#include "engine/models/t5/t5_tokenizer.h"
#include "engine/pipeline/engine.h"
#include "kernels/cpu/ops.h"

namespace dit {

// Throws dit::Error naming the region ("region 1") and the field: a blank prompt, a mask whose
// size is not width x height (or whose pixel count does not match its size), a mask with no
// pixel inside (> 127).
void validate_regions(const std::vector<RegionPrompt>& regions, int width, int height);

// Query group per image token, row-major over the (height / token_px) x (width / token_px) grid:
// 0 outside every region, r + 1 inside region r (max-pooled, later regions win, see above).
// The regions must be valid (validate_regions).
std::vector<int32_t> region_token_groups(const std::vector<RegionPrompt>& regions, int width, int height,
                                         int token_px);

class RegionalPrompts {
public:
    // The pipeline's prompt tokenizer (caption cleaning + T5 tokens at the pipeline's length).
    using Tokenize = std::function<TokenizedPrompt(const std::string&)>;

    // No regions: empty(), nothing is computed and the global cache is used as is.
    // Otherwise validates the regions, encodes their prompts and builds the merged cache and the
    // groups. global: the cache of [negative, positive] (guided) or [positive]; token_px: the
    // pixels one image token covers per side (VAE downscale x patch size).
    static RegionalPrompts encode(const std::vector<RegionPrompt>& regions, int width, int height, int token_px,
                                  bool guided, const PixArtTransformer2DModel::PromptCache& global,
                                  const Tokenize& tokenize, const T5EncoderModel& text_encoder,
                                  const PixArtTransformer2DModel& transformer, kernels::Backend& ops,
                                  const std::function<bool()>* cancelled = nullptr, bool low_vram = false);

    bool empty() const { return regions_ == 0; }
    int regions() const { return regions_; }
    // The merged cache: per block [B, Lg + R * Lr, D], key_bias [B, Lg + R * Lr].
    const PixArtTransformer2DModel::PromptCache& prompt() const { return prompt_; }
    const std::vector<int32_t>& query_group() const { return query_group_; }  // [B, N image tokens]
    const std::vector<int32_t>& key_group() const { return key_group_; }      // [B, Lg + R * Lr]
    // Sets extras.block.query_group/key_group (backend memory) and extras.query_group_host (null
    // when empty()), nothing else; the pointers refer to this object, which must outlive the
    // forwards.
    void install(ForwardExtras& extras) const;

    // The merge on its own, for tests and the reference: global [B, Lg] and regions [R, Lr]
    // caches -> the merged cache and key groups; query groups from per-token groups `tokens`
    // (item 0 all 0 when guided). The merged cache and groups go to ops's memory.
    static RegionalPrompts merge(const PixArtTransformer2DModel::PromptCache& global,
                                 const PixArtTransformer2DModel::PromptCache& regions,
                                 const std::vector<int32_t>& tokens, bool guided, kernels::Backend& ops);

private:
    int regions_ = 0;
    PixArtTransformer2DModel::PromptCache prompt_;
    std::vector<int32_t> query_group_, key_group_;
    IndexArray query_group_ops_, key_group_ops_;  // the same in the backend's memory
};

}  // namespace dit
