#include "engine/models/pixart/pixart_controlnet.h"

#include <algorithm>
#include <cstring>

#include "engine/error.h"
#include "engine/io/config.h"
#include "engine/io/weights.h"

namespace dit {
namespace {

std::string where(const Config& c, const std::string& field) {
    return c.file().string() + ": field '" + field + "'";
}

// diffusers' adapter blocks take PixArt-α's sizes as defaults; an adapter config that states its
// sizes must agree with the base it runs with.
void require_same(const Config& c, const std::string& field, int64_t base_value) {
    if (!c.has(field)) return;
    const int64_t v = c.get_int(field);
    if (v != base_value)
        throw Error(where(c, field) + " is " + std::to_string(v) + " but the base transformer has " +
                    std::to_string(base_value));
}

}  // namespace

PixArtControlNetConfig PixArtControlNetConfig::from(const Config& c, const PixArtConfig& base) {
    if (c.has("_class_name")) {
        const std::string cls = c.get_string("_class_name");
        if (cls != "PixArtControlNetAdapterModel")
            throw Error(where(c, "_class_name") + " is \"" + cls + "\"; expected \"PixArtControlNetAdapterModel\"");
    }
    PixArtControlNetConfig k;
    const int64_t n = c.get_int("num_layers", 13);
    if (n < 1 || n > 1024)
        throw Error(where(c, "num_layers") + " is " + std::to_string(n) + "; expected 1..1024");
    k.num_layers = static_cast<int>(n);
    if (c.has("block_indices")) {
        const auto idx = c.get_ints("block_indices");
        if (static_cast<int64_t>(idx.size()) != n)
            throw Error(where(c, "block_indices") + " lists " + std::to_string(idx.size()) +
                        " base blocks for num_layers " + std::to_string(n) + " control blocks");
        for (int64_t i : idx) k.block_indices.push_back(static_cast<int>(i));
    } else {
        for (int i = 0; i < k.num_layers; ++i) k.block_indices.push_back(i);  // PixArt-δ: the first N
    }
    // Each control block's residual feeds the next base block, so the last base block has none.
    const std::string field = c.has("block_indices") ? "block_indices" : "num_layers";
    for (size_t j = 0; j < k.block_indices.size(); ++j) {
        const int b = k.block_indices[j];
        if (b < 0 || b > base.num_layers - 2)
            throw Error(where(c, field) + ": control block " + std::to_string(j) + " follows base block " +
                        std::to_string(b) + ", but the base transformer has " + std::to_string(base.num_layers) +
                        " blocks (a control block must follow one of blocks 0.." +
                        std::to_string(base.num_layers - 2) + ")");
        if (j > 0 && b <= k.block_indices[j - 1])
            throw Error(where(c, "block_indices") + " must be strictly increasing (entry " + std::to_string(j) +
                        " is " + std::to_string(b) + " after " + std::to_string(k.block_indices[j - 1]) + ")");
    }
    require_same(c, "num_attention_heads", base.heads);
    require_same(c, "attention_head_dim", base.head_dim);
    require_same(c, "cross_attention_dim", base.cross_attention_dim);
    return k;
}

std::unique_ptr<PixArtControlNetAdapter> PixArtControlNetAdapter::load(const std::filesystem::path& dir,
                                                                       const PixArtConfig& base,
                                                                       kernels::Backend& ops) {
    if (!std::filesystem::is_directory(dir)) throw Error(dir.string() + ": control adapter folder does not exist");
    auto m = std::unique_ptr<PixArtControlNetAdapter>(new PixArtControlNetAdapter());
    const Config c = Config::read(dir / "config.json");
    m->cfg_ = PixArtControlNetConfig::from(c, base);
    m->dir_ = dir;
    m->dim_ = base.hidden();
    const int64_t D = m->dim_;
    const WeightStore store = WeightStore::open(dir);
    ParamBinder p(store, "controlnet", ops);
    m->before_proj_ = pixart::Linear::bind(p, "controlnet_blocks.0.before_proj", D, D);
    for (int j = 0; j < m->cfg_.num_layers; ++j) {
        const std::string prefix = "controlnet_blocks." + std::to_string(j);
        m->blocks_.push_back(pixart::TransformerBlock::bind(p, prefix + ".transformer_block", base.heads,
                                                            base.head_dim, base.cross_attention_dim, base.norm_eps));
        m->after_proj_.push_back(pixart::Linear::bind(p, prefix + ".after_proj", D, D));
    }
    p.finish();
    return m;
}

Tensor PixArtControlNetAdapter::condition(const PixArtTransformer2DModel& base, const Tensor& control_latent,
                                          kernels::Backend& ops) const {
    // control_latent: [1, Cin, H, W]
    if (control_latent.ndim() != 4 || control_latent.dim(0) != 1)
        throw Error("ControlNet-Transformer: control latent must be [1, C, H, W], got " +
                    shape_str(control_latent.shape()));
    const Tensor embedded = base.pos_embed().forward(control_latent, ops);  // [1, N, D]
    const int64_t N = embedded.dim(1);
    return before_proj_.forward(embedded, N, ops).reshape({N, dim_});
}

PixArtControlNetAdapter::PromptCache PixArtControlNetAdapter::encode_prompt(const Tensor& caption, int B, int L,
                                                                            kernels::Backend& ops) const {
    // caption: [B*L, D]
    if (caption.numel() != int64_t(B) * L * dim_)
        throw Error("ControlNet-Transformer: projected caption is " + shape_str(caption.shape()) + ", expected [" +
                    std::to_string(int64_t(B) * L) + ", " + std::to_string(dim_) + "]");
    PromptCache cache;
    cache.B = B;
    cache.L = L;
    for (const auto& blk : blocks_) {
        cache.k.push_back(blk.attn2.to_k.forward(caption, int64_t(B) * L, ops).reshape({B, L, dim_}));
        cache.v.push_back(blk.attn2.to_v.forward(caption, int64_t(B) * L, ops).reshape({B, L, dim_}));
    }
    return cache;
}

void PixArtControlNetAdapter::begin(const float* x, const Tensor& condition, float* state, int64_t B, int64_t N,
                                    kernels::Backend& ops) const {
    // x, state: [B, N, D]; condition: [N, D], the same for every batch item (both CFG halves).
    const int64_t ND = N * dim_;
    if (condition.numel() != ND)
        throw Error("ControlNet-Transformer: the control condition has " + std::to_string(condition.numel() / dim_) +
                    " tokens, the forward " + std::to_string(N));
    ops.copy(state, x, sizeof(float) * size_t(B * ND));
    for (int64_t b = 0; b < B; ++b) ops.add_gated(state + b * ND, condition.ptr(), nullptr, 1, 1, ND);
}

void PixArtControlNetAdapter::block(int j, float* state, float* residual, const float* modulation,
                                    const PromptCache& prompt, const float* key_bias, pixart::BlockBuffers& buf,
                                    kernels::Backend& ops) const {
    // state, residual: [B, N, D]
    if (j < 0 || j >= cfg_.num_layers || static_cast<int>(prompt.k.size()) != cfg_.num_layers)
        throw Error("ControlNet-Transformer: control block " + std::to_string(j) + " of " +
                    std::to_string(cfg_.num_layers) + " (prompt cache for " + std::to_string(prompt.k.size()) + ")");
    blocks_[j].forward(state, modulation, prompt.k[j].ptr(), prompt.v[j].ptr(), key_bias, prompt.L, buf, ops);
    after_proj_[j].forward(state, residual, buf.B * buf.N, ops);
}

}  // namespace dit
