#include "engine/models/gemma2/gemma2_model.h"

#include <cmath>

#include "engine/error.h"
#include "engine/io/config.h"
#include "engine/io/weights.h"
#include "engine/models/config_fields.h"

namespace dit {
Gemma2Config Gemma2Config::from(const Config& c) {
    Gemma2Config k;
    auto positive = [&](const char* field, int64_t v, int64_t limit) { return config_in_range(c, field, v, limit); };
    k.vocab_size = positive("vocab_size", c.get_int("vocab_size"), 1 << 24);
    k.hidden_size = positive("hidden_size", c.get_int("hidden_size"), 1 << 16);
    k.intermediate_size = positive("intermediate_size", c.get_int("intermediate_size"), 1 << 18);
    k.num_hidden_layers = positive("num_hidden_layers", c.get_int("num_hidden_layers"), 1024);
    k.num_attention_heads = positive("num_attention_heads", c.get_int("num_attention_heads"), 1024);
    k.num_key_value_heads = positive("num_key_value_heads", c.get_int("num_key_value_heads"), 1024);
    k.head_dim = positive("head_dim", c.get_int("head_dim"), 4096);
    if (k.num_attention_heads % k.num_key_value_heads != 0)
        throw Error(config_where(c, "num_key_value_heads") + " is " + std::to_string(k.num_key_value_heads) +
                    "; it must divide num_attention_heads (" + std::to_string(k.num_attention_heads) +
                    "), each key/value head serving a group of query heads");
    if (k.head_dim % 2 != 0)
        throw Error(config_where(c, "head_dim") + " is " + std::to_string(k.head_dim) +
                    "; it must be even (RoPE rotates pairs of dimensions)");
    const std::string act = c.get_string("hidden_activation", "gelu_pytorch_tanh");
    if (act != "gelu_pytorch_tanh" && act != "gelu_new" && act != "gelu_fast")
        throw Error(config_where(c, "hidden_activation") + " is \"" + act + "\"; supported: gelu_pytorch_tanh (Gemma-2's)");
    const double eps = c.get_float("rms_norm_eps", 1e-6);
    if (!(eps > 0.0) || eps > 1.0) throw Error(config_where(c, "rms_norm_eps") + " must be in (0, 1]");
    k.rms_norm_eps = static_cast<float>(eps);
    const double theta = c.get_float("rope_theta", 10000.0);
    if (!(theta > 1.0) || theta > 1e9) throw Error(config_where(c, "rope_theta") + " must be above 1");
    k.rope_theta = static_cast<float>(theta);
    const double qpas = c.get_float("query_pre_attn_scalar", 224.0);
    if (!(qpas > 0.0) || qpas > 1e9) throw Error(config_where(c, "query_pre_attn_scalar") + " must be positive");
    k.query_pre_attn_scalar = static_cast<float>(qpas);
    if (c.has("attn_logit_softcapping")) {
        const double cap = c.get_float("attn_logit_softcapping");
        if (!(cap > 0.0) || cap > 1e9) throw Error(config_where(c, "attn_logit_softcapping") + " must be positive or null");
        k.attn_logit_softcapping = static_cast<float>(cap);
    } else {
        // transformers' default is 50.0; an explicit null switches soft-capping off.
        k.attn_logit_softcapping = c.json().contains("attn_logit_softcapping") ? 0.0f : 50.0f;
    }
    k.sliding_window = positive("sliding_window", c.get_int("sliding_window", 4096), 1 << 30);
    k.attention_bias = c.get_bool("attention_bias", false);
    return k;
}

std::unique_ptr<Gemma2Model> Gemma2Model::load(const std::filesystem::path& component_dir, kernels::Backend& ops) {
    auto m = std::unique_ptr<Gemma2Model>(new Gemma2Model());
    m->cfg_ = Gemma2Config::from(Config::read(component_dir / "config.json"));
    const auto& k = m->cfg_;
    const WeightStore store = WeightStore::open(component_dir);
    ParamBinder p(store, "text_encoder", ops);
    // Gemma2ForCausalLM keeps the model under "model." with an lm_head tied to the embedding.
    const std::string pre = store.contains("model.embed_tokens.weight") ? "model." : "";
    p.ignore_prefix("lm_head.");
    const int64_t D = k.hidden_size, F = k.intermediate_size, Q = int64_t(k.num_attention_heads) * k.head_dim,
                  KV = int64_t(k.num_key_value_heads) * k.head_dim;
    m->embed_tokens_ = p.bind_stored(pre + "embed_tokens.weight", {k.vocab_size, D});
    for (int i = 0; i < k.num_hidden_layers; ++i) {
        const std::string l = pre + "layers." + std::to_string(i) + ".";
        Layer L;
        L.input_norm = p.bind(l + "input_layernorm.weight", {D});
        L.post_attn_norm = p.bind(l + "post_attention_layernorm.weight", {D});
        L.pre_ff_norm = p.bind(l + "pre_feedforward_layernorm.weight", {D});
        L.post_ff_norm = p.bind(l + "post_feedforward_layernorm.weight", {D});
        L.q = p.bind_stored(l + "self_attn.q_proj.weight", {Q, D});
        L.k = p.bind_stored(l + "self_attn.k_proj.weight", {KV, D});
        L.v = p.bind_stored(l + "self_attn.v_proj.weight", {KV, D});
        L.o = p.bind_stored(l + "self_attn.o_proj.weight", {D, Q});
        if (k.attention_bias) {
            L.q_bias = p.bind(l + "self_attn.q_proj.bias", {Q});
            L.k_bias = p.bind(l + "self_attn.k_proj.bias", {KV});
            L.v_bias = p.bind(l + "self_attn.v_proj.bias", {KV});
            L.o_bias = p.bind(l + "self_attn.o_proj.bias", {D});
        }
        L.gate = p.bind_stored(l + "mlp.gate_proj.weight", {F, D});
        L.up = p.bind_stored(l + "mlp.up_proj.weight", {F, D});
        L.down = p.bind_stored(l + "mlp.down_proj.weight", {D, F});
        m->layers_.push_back(std::move(L));
    }
    m->norm_ = p.bind(pre + "norm.weight", {D});
    p.finish();
    return m;
}

void Gemma2Model::rope_tables(int64_t L, std::vector<float>& cos, std::vector<float>& sin) const {
    const int64_t D = cfg_.head_dim, half = D / 2;
    cos.assign(size_t(L * D), 0.0f);
    sin.assign(size_t(L * D), 0.0f);
    for (int64_t i = 0; i < half; ++i) {
        const float exponent = float(2 * i) / float(D);
        const float inv_freq = 1.0f / std::pow(cfg_.rope_theta, exponent);
        for (int64_t pos = 0; pos < L; ++pos) {
            const float angle = float(pos) * inv_freq;
            const float c = std::cos(angle), s = std::sin(angle);
            cos[size_t(pos * D + i)] = cos[size_t(pos * D + i + half)] = c;
            sin[size_t(pos * D + i)] = sin[size_t(pos * D + i + half)] = s;
        }
    }
}

Tensor Gemma2Model::forward(const std::vector<int32_t>& ids, const std::vector<int32_t>& mask, int B, int L,
                            kernels::Backend& ops, const std::function<bool()>* cancelled) const {
    // ids, mask: [B*L] -> [B, L, hidden]
    if (B < 1 || L < 1)
        throw Error("Gemma-2 encoder: batch " + std::to_string(B) + " x length " + std::to_string(L) + " is empty");
    const int64_t N = int64_t(B) * L;
    if (static_cast<int64_t>(ids.size()) != N || static_cast<int64_t>(mask.size()) != N)
        throw Error("Gemma-2 encoder: expected " + std::to_string(N) + " ids and mask values (batch " +
                    std::to_string(B) + " x length " + std::to_string(L) + "), got " + std::to_string(ids.size()) +
                    " ids and " + std::to_string(mask.size()) + " mask values");
    const int64_t D = cfg_.hidden_size, F = cfg_.intermediate_size, H = cfg_.num_attention_heads,
                  Hkv = cfg_.num_key_value_heads, hd = cfg_.head_dim, Q = H * hd, KV = Hkv * hd;

    // x: [B, L, D] = embed_tokens[ids] * sqrt(D), the normalizer rounded to f32 first
    const float normalizer = static_cast<float>(std::sqrt(static_cast<double>(D)));
    Tensor x({B, L, D});
    const kernels::WeightRef table = embed_tokens_.weight_ref();
    for (int64_t t = 0; t < N; ++t) {
        const int32_t id = ids[size_t(t)];
        if (id < 0 || id >= cfg_.vocab_size)
            throw Error("Gemma-2 encoder: token id " + std::to_string(id) + " at position " + std::to_string(t) +
                        " is outside the vocabulary (vocab_size " + std::to_string(cfg_.vocab_size) +
                        "); is the tokenizer from the same model?");
        float* row = x.data() + t * D;
        kernels::to_f32(table, id * D, D, row);
        for (int64_t c = 0; c < D; ++c) row[c] *= normalizer;
    }
    x = x.to(ops);
    std::vector<float> cos_h, sin_h;
    rope_tables(L, cos_h, sin_h);
    const Tensor cos = Tensor::from({L, hd}, cos_h).to(ops), sin = Tensor::from({L, hd}, sin_h).to(ops);
    const IndexArray key_mask(ops, mask);

    auto buffer = [&](int64_t cols) { return Tensor::on(ops, {N, cols}); };
    Tensor h = buffer(D), q = buffer(Q), k = buffer(KV), v = buffer(KV), attn = buffer(Q), y = buffer(D),
           g = buffer(F), u = buffer(F);
    const float eps = cfg_.rms_norm_eps;
    kernels::GqaAttentionArgs a;
    a.q = q.ptr();
    a.k = k.ptr();
    a.v = v.ptr();
    a.out = attn.ptr();
    a.B = B;
    a.L = L;
    a.H = H;
    a.Hkv = Hkv;
    a.D = hd;
    a.ldq = a.ldo = Q;
    a.ldk = a.ldv = KV;
    a.scale = static_cast<float>(std::pow(double(cfg_.query_pre_attn_scalar), -0.5));
    a.softcap = cfg_.attn_logit_softcapping;
    a.causal = true;
    a.key_mask = key_mask.ptr();
    for (size_t i = 0; i < layers_.size(); ++i) {
        poll_cancelled(cancelled);
        const Layer& b = layers_[i];
        auto bias = [](const Tensor& t) { return t.empty() ? nullptr : t.ptr(); };
        // x += post_attn_norm(o(attention(rope(q), rope(k), v))), inputs input_norm(x)
        ops.rms_norm_affine(x.ptr(), h.ptr(), N, D, eps, b.input_norm.ptr(), 1.0f, nullptr);
        ops.linear(h.ptr(), b.q.weight_ref(), bias(b.q_bias), q.ptr(), N, Q, D);
        ops.linear(h.ptr(), b.k.weight_ref(), bias(b.k_bias), k.ptr(), N, KV, D);
        ops.linear(h.ptr(), b.v.weight_ref(), bias(b.v_bias), v.ptr(), N, KV, D);
        ops.rotary_embedding(q.ptr(), cos.ptr(), sin.ptr(), B, L, H, hd, Q);
        ops.rotary_embedding(k.ptr(), cos.ptr(), sin.ptr(), B, L, Hkv, hd, KV);
        a.window = i % 2 == 0 ? cfg_.sliding_window : 0;  // even layers slide
        ops.gqa_attention(a);
        ops.linear(attn.ptr(), b.o.weight_ref(), bias(b.o_bias), y.ptr(), N, D, Q);
        ops.rms_norm_affine(y.ptr(), y.ptr(), N, D, eps, b.post_attn_norm.ptr(), 1.0f, nullptr);
        ops.add_gated(x.ptr(), y.ptr(), nullptr, B, L, D);
        // x += post_ff_norm(down(gelu_tanh(gate h) * up h)), h = pre_ff_norm(x)
        ops.rms_norm_affine(x.ptr(), h.ptr(), N, D, eps, b.pre_ff_norm.ptr(), 1.0f, nullptr);
        ops.linear_gelu(h.ptr(), b.gate.weight_ref(), nullptr, g.ptr(), N, F, D);
        ops.linear(h.ptr(), b.up.weight_ref(), nullptr, u.ptr(), N, F, D);
        ops.mul(g.ptr(), u.ptr(), N * F);
        ops.linear(g.ptr(), b.down.weight_ref(), nullptr, y.ptr(), N, D, F);
        ops.rms_norm_affine(y.ptr(), y.ptr(), N, D, eps, b.post_ff_norm.ptr(), 1.0f, nullptr);
        ops.add_gated(x.ptr(), y.ptr(), nullptr, B, L, D);
    }
    poll_cancelled(cancelled);
    Tensor out = Tensor::on(ops, {B, L, D});
    ops.rms_norm_affine(x.ptr(), out.ptr(), N, D, eps, norm_.ptr(), 1.0f, nullptr);
    return out.to_host();
}

}  // namespace dit
