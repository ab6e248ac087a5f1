#include "engine/pipeline/regional_prompts.h"

#include <algorithm>
#include <cctype>
#include <cstring>

#include "engine/error.h"

namespace dit {
namespace {

constexpr uint8_t kInside = 127;  // a mask pixel > 127 is inside (RegionPrompt)

std::string region_name(size_t r) { return "region " + std::to_string(r); }

bool blank(const std::string& s) {
    return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isspace(c); });
}

}  // namespace

void validate_regions(const std::vector<RegionPrompt>& regions, int width, int height) {
    for (size_t r = 0; r < regions.size(); ++r) {
        const RegionPrompt& region = regions[r];
        if (blank(region.prompt))
            throw Error(region_name(r) + ": prompt is empty: describe what the region should show, or remove it");
        const Mask& m = region.mask;
        if (m.width != width || m.height != height)
            throw Error(region_name(r) + ": mask is " + std::to_string(m.width) + "x" + std::to_string(m.height) +
                        " but the image is " + std::to_string(width) + "x" + std::to_string(height) +
                        " (width x height); a region mask must be the image's size");
        if (int64_t(m.value.size()) != int64_t(m.width) * m.height)
            throw Error(region_name(r) + ": mask has " + std::to_string(m.value.size()) + " values for " +
                        std::to_string(m.width) + "x" + std::to_string(m.height) + " pixels");
        if (std::none_of(m.value.begin(), m.value.end(), [](uint8_t v) { return v > kInside; }))
            throw Error(region_name(r) + ": mask is empty (no pixel above " + std::to_string(kInside) +
                        "): paint the region, or remove it");
    }
}

std::vector<int32_t> region_token_groups(const std::vector<RegionPrompt>& regions, int width, int height,
                                         int token_px) {
    if (token_px < 1 || width % token_px || height % token_px)
        throw Error("regional prompts: image size " + std::to_string(width) + "x" + std::to_string(height) +
                    " is not a multiple of the token size " + std::to_string(token_px));
    const int gw = width / token_px, gh = height / token_px;
    std::vector<int32_t> groups(size_t(gw) * gh, 0);
    for (size_t r = 0; r < regions.size(); ++r) {
        const Mask& m = regions[r].mask;
        for (int y = 0; y < height; ++y)
            for (int x = 0; x < width; ++x)
                if (m.value[size_t(y) * width + x] > kInside)  // max-pool: any inside pixel claims the token
                    groups[size_t(y / token_px) * gw + x / token_px] = int32_t(r + 1);  // later regions win
    }
    return groups;
}

RegionalPrompts RegionalPrompts::merge(const PixArtTransformer2DModel::PromptCache& global,
                                       const PixArtTransformer2DModel::PromptCache& regions,
                                       const std::vector<int32_t>& tokens, bool guided, kernels::Backend& ops) {
    // global k/v: per block [B, Lg, D]; regions k/v: per block [R, Lr, D]
    const int64_t B = global.B, Lg = global.L, R = regions.B, Lr = regions.L, L = Lg + R * Lr;
    if (B != (guided ? 2 : 1))
        throw Error("regional prompts: the global prompt cache has " + std::to_string(B) + " items, expected " +
                    (guided ? "2 (negative, positive)" : "1"));
    if (regions.k.size() != global.k.size() || regions.v.size() != global.v.size())
        throw Error("regional prompts: the region and global prompt caches have different block counts");
    RegionalPrompts out;
    out.regions_ = int(R);
    out.prompt_.B = int(B);
    out.prompt_.L = int(L);
    out.key_group_.resize(size_t(B * L));
    for (int64_t b = 0; b < B; ++b) {
        int32_t* group = out.key_group_.data() + b * L;
        std::fill(group, group + Lg, 0);
        for (int64_t r = 0; r < R; ++r) std::fill(group + Lg + r * Lr, group + Lg + (r + 1) * Lr, int32_t(r + 1));
    }
    // Per item b: [global row b | every region's rows], for [B, L, D] tensors and [B, L] biases.
    auto concat = [&](const Tensor& g, const Tensor& reg, Shape shape) {
        const int64_t D = shape.size() == 3 ? shape[2] : 1;
        Tensor t = Tensor::on(ops, shape);
        for (int64_t b = 0; b < B; ++b) {
            ops.copy(t.ptr() + b * L * D, g.ptr() + b * Lg * D, sizeof(float) * size_t(Lg * D));
            ops.copy(t.ptr() + (b * L + Lg) * D, reg.ptr(), sizeof(float) * size_t(R * Lr * D));
        }
        return t;
    };
    out.prompt_.key_bias = concat(global.key_bias.to(ops), regions.key_bias.to(ops), {B, L});
    for (size_t i = 0; i < global.k.size(); ++i) {
        const int64_t D = global.k[i].dim(2);
        out.prompt_.k.push_back(concat(global.k[i].to(ops), regions.k[i].to(ops), {B, L, D}));
        out.prompt_.v.push_back(concat(global.v[i].to(ops), regions.v[i].to(ops), {B, L, D}));
    }
    // The unconditional item's queries stay group 0: it sees its negative prompt only.
    const int64_t N = int64_t(tokens.size());
    out.query_group_.assign(size_t(B * N), 0);
    std::copy(tokens.begin(), tokens.end(), out.query_group_.begin() + (B - 1) * N);
    out.query_group_ops_ = IndexArray(ops, out.query_group_);
    out.key_group_ops_ = IndexArray(ops, out.key_group_);
    return out;
}

RegionalPrompts RegionalPrompts::encode(const std::vector<RegionPrompt>& regions, int width, int height,
                                        int token_px, bool guided, const PixArtTransformer2DModel::PromptCache& global,
                                        const Tokenize& tokenize, const T5EncoderModel& text_encoder,
                                        const PixArtTransformer2DModel& transformer, kernels::Backend& ops,
                                        const std::function<bool()>* cancelled, bool low_vram) {
    if (regions.empty()) return RegionalPrompts();
    validate_regions(regions, width, height);
    const std::vector<int32_t> tokens = region_token_groups(regions, width, height, token_px);

    // One T5 batch for every region's prompt, at the global prompt's token length.
    std::vector<int32_t> ids, mask;
    for (const auto& region : regions) {
        const TokenizedPrompt t = tokenize(region.prompt);
        if (int(t.ids.size()) != global.L || t.mask.size() != t.ids.size())
            throw Error("regional prompts: the tokenizer gave " + std::to_string(t.ids.size()) + " tokens, expected " +
                        std::to_string(global.L));
        ids.insert(ids.end(), t.ids.begin(), t.ids.end());
        mask.insert(mask.end(), t.mask.begin(), t.mask.end());
    }
    const int R = int(regions.size());
    const Tensor embeds = text_encoder.forward(ids, mask, R, global.L, ops, cancelled, low_vram);  // [R, L, caption]
    const auto region_cache = transformer.encode_prompt(embeds, mask, ops);
    return merge(global, region_cache, tokens, guided, ops);
}

void RegionalPrompts::install(ForwardExtras& extras) const {
    extras.block.query_group = empty() ? nullptr : query_group_ops_.ptr();
    extras.block.key_group = empty() ? nullptr : key_group_ops_.ptr();
    extras.query_group_host = empty() ? nullptr : query_group_.data();
}

}  // namespace dit
