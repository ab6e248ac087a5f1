#include "engine/models/t5/t5_encoder.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "engine/error.h"
#include "engine/io/config.h"
#include "engine/io/mapped_file.h"
#include "engine/io/weights.h"
#include "engine/models/config_fields.h"

namespace dit {
namespace {

// transformers' ACT2FN names that T5 configs use.
bool parse_activation(const std::string& name, T5EncoderConfig::Activation& act) {
    using A = T5EncoderConfig::Activation;
    if (name == "relu") act = A::Relu;
    else if (name == "gelu") act = A::Gelu;  // exact erf GELU
    else if (name == "gelu_new" || name == "gelu_pytorch_tanh" || name == "gelu_fast") act = A::GeluTanh;
    else if (name == "silu" || name == "swish") act = A::Silu;
    else return false;
    return true;
}

}  // namespace

T5EncoderConfig T5EncoderConfig::from(const Config& c) {
    T5EncoderConfig k;
    auto positive = [&](const char* field, int64_t v, int64_t limit) { return config_in_range(c, field, v, limit); };
    k.vocab_size = positive("vocab_size", c.get_int("vocab_size"), 1 << 24);
    k.d_model = positive("d_model", c.get_int("d_model"), 1 << 16);
    k.d_kv = positive("d_kv", c.get_int("d_kv"), 1 << 12);
    k.d_ff = positive("d_ff", c.get_int("d_ff"), 1 << 18);
    k.num_layers = positive("num_layers", c.get_int("num_layers"), 1024);
    k.num_heads = positive("num_heads", c.get_int("num_heads"), 1024);
    k.relative_attention_num_buckets =
        positive("relative_attention_num_buckets", c.get_int("relative_attention_num_buckets", 32), 1 << 16);
    k.relative_attention_max_distance =
        positive("relative_attention_max_distance", c.get_int("relative_attention_max_distance", 128), 1 << 24);
    if (k.relative_attention_num_buckets < 4)
        throw Error(config_where(c, "relative_attention_num_buckets") + " must be at least 4 (bidirectional buckets "
                                                                 "split in halves, each half exact then log-spaced)");
    if (k.relative_attention_max_distance <= k.relative_attention_num_buckets / 4)
        throw Error(config_where(c, "relative_attention_max_distance") + " must exceed relative_attention_num_buckets / 4");
    const double eps = c.get_float("layer_norm_epsilon", 1e-6);
    if (!(eps > 0.0) || eps > 1.0) throw Error(config_where(c, "layer_norm_epsilon") + " must be in (0, 1]");
    k.layer_norm_epsilon = static_cast<float>(eps);

    // "ACT" or "gated-ACT", as transformers reads it; "gated-gelu" keeps the original T5 v1.1
    // meaning of the tanh GELU, while a plain "gelu" is the exact one.
    k.feed_forward_proj = c.get_string("feed_forward_proj", "relu");
    const std::string& f = k.feed_forward_proj;
    const auto dash = f.find('-');
    std::string act = f;
    k.gated = false;
    if (dash != std::string::npos) {
        if (f.compare(0, dash, "gated") != 0 || f.find('-', dash + 1) != std::string::npos)
            throw Error(config_where(c, "feed_forward_proj") + " is \"" + f + "\"; expected \"ACT\" or \"gated-ACT\"");
        k.gated = true;
        act = f.substr(dash + 1);
    }
    if (f == "gated-gelu") act = "gelu_new";
    if (!parse_activation(act, k.activation))
        throw Error(config_where(c, "feed_forward_proj") + " is \"" + f + "\"; supported activations: relu, gelu, "
                    "gelu_new, gelu_pytorch_tanh, gelu_fast, silu, swish (optionally \"gated-\")");
    if (c.get_bool("is_decoder", false))
        throw Error(config_where(c, "is_decoder") + " is true; only the T5 encoder is supported");
    return k;
}

std::unique_ptr<T5EncoderModel> T5EncoderModel::load(const std::filesystem::path& component_dir,
                                                     kernels::Backend& ops, const std::filesystem::path& weights) {
    auto m = std::unique_ptr<T5EncoderModel>(new T5EncoderModel());
    m->cfg_ = T5EncoderConfig::from(Config::read(component_dir / "config.json"));
    const auto& k = m->cfg_;
    const WeightStore store = WeightStore::open(weights.empty() ? component_dir : weights);
    ParamBinder p(store, "text_encoder", ops);
    const int64_t D = k.d_model, I = k.inner_dim(), F = k.d_ff;

    // The embedding is tied between shared.* and encoder.embed_tokens.*; checkpoints keep one
    // name or both. It and the block matrices stay in the mapping in the file's dtype (T5-XXL
    // is ~9.5 GB of bf16); the norms and the position table are small and become f32.
    if (!store.contains("shared.weight") && store.contains("encoder.embed_tokens.weight")) {
        m->embed_tokens_ = p.bind_stored("encoder.embed_tokens.weight", {k.vocab_size, D});
    } else {
        m->embed_tokens_ = p.bind_stored("shared.weight", {k.vocab_size, D});
        p.ignore_prefix("encoder.embed_tokens.weight");
    }
    // Only block 0 owns the relative position table; every block reuses its bias.
    m->relative_attention_bias_ = p.bind_host("encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight",
                                         {k.relative_attention_num_buckets, k.num_heads});
    for (int i = 0; i < k.num_layers; ++i) {
        const std::string pre = "encoder.block." + std::to_string(i) + ".layer.";
        Block b;
        b.attn_norm = p.bind(pre + "0.layer_norm.weight", {D});
        b.q = p.bind_stored(pre + "0.SelfAttention.q.weight", {I, D});
        b.k = p.bind_stored(pre + "0.SelfAttention.k.weight", {I, D});
        b.v = p.bind_stored(pre + "0.SelfAttention.v.weight", {I, D});
        b.o = p.bind_stored(pre + "0.SelfAttention.o.weight", {D, I});
        b.ff_norm = p.bind(pre + "1.layer_norm.weight", {D});
        if (k.gated) {
            b.wi_0 = p.bind_stored(pre + "1.DenseReluDense.wi_0.weight", {F, D});
            b.wi_1 = p.bind_stored(pre + "1.DenseReluDense.wi_1.weight", {F, D});
        } else {
            b.wi = p.bind_stored(pre + "1.DenseReluDense.wi.weight", {F, D});
        }
        b.wo = p.bind_stored(pre + "1.DenseReluDense.wo.weight", {D, F});
        m->blocks_.push_back(std::move(b));
    }
    m->final_layer_norm_ = p.bind("encoder.final_layer_norm.weight", {D});
    p.finish();
    return m;
}

int T5EncoderModel::relative_position_bucket(int64_t relative_position, bool bidirectional, int num_buckets,
                                             int max_distance) {
    int bucket = 0;
    int64_t distance;
    if (bidirectional) {
        num_buckets /= 2;
        if (relative_position > 0) bucket += num_buckets;
        distance = relative_position < 0 ? -relative_position : relative_position;
    } else {
        distance = relative_position < 0 ? -relative_position : 0;
    }
    const int max_exact = num_buckets / 2;
    if (distance < max_exact) return bucket + static_cast<int>(distance);
    // In float32 as transformers computes it, so the bucket edges fall on the same distances
    // (e.g. 16, 32 and 64 for T5's 32 buckets / 128 max distance land exactly on an integer).
    const float ratio = static_cast<float>(distance) / static_cast<float>(max_exact);
    const float span = static_cast<float>(std::log(static_cast<double>(max_distance) / max_exact));
    const float scaled = std::log(ratio) / span * static_cast<float>(num_buckets - max_exact);
    const int64_t large = max_exact + static_cast<int64_t>(scaled);
    return bucket + static_cast<int>(std::min<int64_t>(large, num_buckets - 1));
}

Tensor T5EncoderModel::position_bias(int64_t L) const {
    // -> [H, L, L]: bias[h, i, j] = table[bucket(j - i), h]
    const int64_t H = cfg_.num_heads;
    const int64_t buckets = cfg_.relative_attention_num_buckets;
    Tensor bias({H, L, L});
    // Depends only on j - i: look up each of the 2L - 1 distances once.
    std::vector<int> by_distance(static_cast<size_t>(2 * L - 1));
    for (int64_t r = -(L - 1); r <= L - 1; ++r) {
        const int bk = relative_position_bucket(r, true, cfg_.relative_attention_num_buckets,
                                                cfg_.relative_attention_max_distance);
        if (bk < 0 || bk >= buckets) throw Error("T5 relative position bucket out of range");  // unreachable
        by_distance[static_cast<size_t>(r + L - 1)] = bk;
    }
    const float* table = relative_attention_bias_.data();
    float* out = bias.data();
    for (int64_t h = 0; h < H; ++h)
        for (int64_t i = 0; i < L; ++i)
            for (int64_t j = 0; j < L; ++j)
                out[(h * L + i) * L + j] = table[by_distance[static_cast<size_t>(j - i + L - 1)] * H + h];
    return bias;
}

void T5EncoderModel::activate(float* x, int64_t n, kernels::Backend& ops) const {
    using A = T5EncoderConfig::Activation;
    switch (cfg_.activation) {
    case A::GeluTanh: ops.gelu_tanh(x, n); break;
    case A::Silu: ops.silu(x, n); break;
    case A::Relu:
    case A::Gelu: {
        // T5 v1.0's activations are no ops of their own: done on the host (a copy each way on a
        // device backend), since no PixArt text encoder uses them.
        std::vector<float> h(static_cast<size_t>(n));
        ops.download(h.data(), x, sizeof(float) * h.size());
        if (cfg_.activation == A::Relu)
            for (float& v : h) v = v > 0.0f ? v : 0.0f;
        else
            for (float& v : h) v = 0.5f * v * (1.0f + std::erf(v * 0.70710678118654752f));
        ops.upload(x, h.data(), sizeof(float) * h.size());
        break;
    }
    }
}

Tensor T5EncoderModel::forward(const std::vector<int32_t>& ids, const std::vector<int32_t>& mask, int B, int L,
                               kernels::Backend& ops, const std::function<bool()>* cancelled,
                               bool release_weights) const {
    // ids, mask: [B*L] -> [B, L, d_model]
    if (B < 1 || L < 1)
        throw Error("T5 encoder: batch " + std::to_string(B) + " x length " + std::to_string(L) + " is empty");
    const int64_t N = int64_t(B) * L;
    if (static_cast<int64_t>(ids.size()) != N || static_cast<int64_t>(mask.size()) != N)
        throw Error("T5 encoder: expected " + std::to_string(N) + " ids and mask values (batch " + std::to_string(B) +
                    " x length " + std::to_string(L) + "), got " + std::to_string(ids.size()) + " ids and " +
                    std::to_string(mask.size()) + " mask values");
    const int64_t D = cfg_.d_model, I = cfg_.inner_dim(), F = cfg_.d_ff, H = cfg_.num_heads;

    // x: [B, L, D] = shared.weight[ids], rows widened from the checkpoint's dtype (on the host:
    // the table stays in the mapping, one row per token is all that moves)
    Tensor x({B, L, D});
    const kernels::WeightRef table = embed_tokens_.weight_ref();
    for (int64_t t = 0; t < N; ++t) {
        const int32_t id = ids[static_cast<size_t>(t)];
        if (id < 0 || id >= cfg_.vocab_size)
            throw Error("T5 encoder: token id " + std::to_string(id) + " at position " + std::to_string(t) +
                        " is outside the vocabulary (vocab_size " + std::to_string(cfg_.vocab_size) +
                        "); is the tokenizer from the same model?");
        kernels::to_f32(table, id * D, D, x.data() + t * D);
    }
    // transformers adds (1 - mask) * finfo(float32).min to the scores of padding keys.
    Tensor key_bias({N});
    for (int64_t t = 0; t < N; ++t) key_bias[t] = mask[size_t(t)] ? 0.0f : std::numeric_limits<float>::lowest();
    key_bias = key_bias.to(ops);
    x = x.to(ops);
    const Tensor pos_bias = position_bias(L).to(ops);  // [H, L, L], once for all blocks

    auto buffer = [&](int64_t cols) { return Tensor::on(ops, {N, cols}); };
    Tensor h = buffer(D), q = buffer(I), k = buffer(I), v = buffer(I), attn = buffer(I), y = buffer(D), g = buffer(F);
    Tensor u = cfg_.gated ? buffer(F) : Tensor();
    for (const Block& b : blocks_) {
        poll_cancelled(cancelled);
        // self-attention: x += o(attention(norm(x))), unscaled scores + position/padding bias
        ops.rms_norm(x.ptr(), h.ptr(), N, D, cfg_.layer_norm_epsilon, b.attn_norm.ptr());
        ops.linear(h.ptr(), b.q.weight_ref(), nullptr, q.ptr(), N, I, D);
        ops.linear(h.ptr(), b.k.weight_ref(), nullptr, k.ptr(), N, I, D);
        ops.linear(h.ptr(), b.v.weight_ref(), nullptr, v.ptr(), N, I, D);
        kernels::AttentionArgs a;
        a.q = q.ptr();
        a.k = k.ptr();
        a.v = v.ptr();
        a.out = attn.ptr();
        a.B = B;
        a.Lq = L;
        a.Lk = L;
        a.H = H;
        a.D = cfg_.d_kv;
        a.ldq = a.ldk = a.ldv = a.ldo = I;
        a.scale = 1.0f;  // T5 folds 1/sqrt(d_kv) into its initialisation
        a.position_bias = pos_bias.ptr();
        a.key_bias = key_bias.ptr();
        ops.attention(a);
        ops.linear(attn.ptr(), b.o.weight_ref(), nullptr, y.ptr(), N, D, I);
        ops.add_gated(x.ptr(), y.ptr(), nullptr, B, L, D);

        // feed-forward: x += wo(act(wi_0 h) * wi_1 h)  or  wo(act(wi h))
        ops.rms_norm(x.ptr(), h.ptr(), N, D, cfg_.layer_norm_epsilon, b.ff_norm.ptr());
        if (cfg_.gated) {
            ops.linear(h.ptr(), b.wi_0.weight_ref(), nullptr, g.ptr(), N, F, D);
            activate(g.ptr(), N * F, ops);
            ops.linear(h.ptr(), b.wi_1.weight_ref(), nullptr, u.ptr(), N, F, D);
            ops.mul(g.ptr(), u.ptr(), N * F);
        } else {
            ops.linear(h.ptr(), b.wi.weight_ref(), nullptr, g.ptr(), N, F, D);
            activate(g.ptr(), N * F, ops);
        }
        ops.linear(g.ptr(), b.wo.weight_ref(), nullptr, y.ptr(), N, D, F);
        ops.add_gated(x.ptr(), y.ptr(), nullptr, B, L, D);
        if (release_weights)
            for (const Tensor* m : {&b.q, &b.k, &b.v, &b.o, &b.wi, &b.wi_0, &b.wi_1, &b.wo})
                if (!m->empty()) {
                    const auto bytes = size_t(storage_bytes(m->dtype(), m->numel()));
                    ops.forget_weights(m->raw(), bytes);
                    MappedFile::release_pages(m->raw(), bytes);  // and the host's resident copy
                }
    }
    poll_cancelled(cancelled);
    Tensor out = Tensor::on(ops, {B, L, D});
    ops.rms_norm(x.ptr(), out.ptr(), N, D, cfg_.layer_norm_epsilon, final_layer_norm_.ptr());
    return out.to_host();
}

}  // namespace dit
