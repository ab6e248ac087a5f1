#pragma once
// transformers' Gemma2Model (v4.42: the Sana text encoder, Gemma-2-2B), its last hidden state,
// from a component folder (config.json + model.safetensors or shards) by checkpoint key names:
//   embed_tokens.weight                                          [vocab, hidden]
//   layers.{i}.input_layernorm.weight / post_attention_layernorm.weight /
//   layers.{i}.pre_feedforward_layernorm.weight / post_feedforward_layernorm.weight   [hidden]
//   layers.{i}.self_attn.q_proj.weight                           [heads * head_dim, hidden]
//   layers.{i}.self_attn.{k,v}_proj.weight                       [kv_heads * head_dim, hidden]
//   layers.{i}.self_attn.o_proj.weight                           [hidden, heads * head_dim]
//   layers.{i}.mlp.{gate,up}_proj.weight                         [intermediate, hidden]
//   layers.{i}.mlp.down_proj.weight                              [hidden, intermediate]
//   norm.weight                                                  [hidden]
// (a Gemma2ForCausalLM checkpoint's "model." prefix is accepted, its lm_head ignored).
// The norms scale by (1 + w); the embedding is multiplied by sqrt(hidden) rounded to f32 (the
// activations' dtype here, as transformers rounds the normalizer to the model's dtype);
// even-numbered layers attend within the sliding window. Without a key/value cache: the window
// applies to the whole prompt, as transformers' eager attention does when it has no cache.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/tensor.h"
#include "kernels/cpu/ops.h"

namespace dit {

class Config;

struct Gemma2Config {
    int vocab_size = 256000;
    int hidden_size = 2304;
    int intermediate_size = 9216;
    int num_hidden_layers = 26;
    int num_attention_heads = 8;
    int num_key_value_heads = 4;
    int head_dim = 256;
    float rms_norm_eps = 1e-6f;
    float rope_theta = 10000.0f;
    float query_pre_attn_scalar = 256.0f;
    float attn_logit_softcapping = 50.0f;  // 0: none (null in the config)
    int sliding_window = 4096;
    bool attention_bias = false;

    // Reads and validates config.json; errors name the file and the field.
    static Gemma2Config from(const Config& c);
};

class Gemma2Model {
public:
    static std::unique_ptr<Gemma2Model> load(const std::filesystem::path& component_dir,
                                             kernels::Backend& ops = kernels::fast());

    // ids, mask: [B*L] row-major (mask 1 = token, 0 = padding) -> last_hidden_state [B, L, hidden]
    // after the final norm, in host memory. Padding rows get values too (callers mask them).
    // Polls `*cancelled` between layers.
    Tensor forward(const std::vector<int32_t>& ids, const std::vector<int32_t>& mask, int B, int L,
                   kernels::Backend& ops, const std::function<bool()>* cancelled = nullptr) const;

    const Gemma2Config& config() const { return cfg_; }
    // RoPE's tables for positions [0, L): cos, sin [L, head_dim], in f32 as transformers forms
    // them (inv_freq = 1 / theta^(2i / dim), angle = position * inv_freq, halves repeated).
    void rope_tables(int64_t L, std::vector<float>& cos, std::vector<float>& sin) const;

private:
    struct Layer {
        Tensor input_norm, post_attn_norm, pre_ff_norm, post_ff_norm;  // [hidden]
        Tensor q, k, v, o;                                              // checkpoint dtype, mapped
        Tensor q_bias, k_bias, v_bias, o_bias;                          // attention_bias only
        Tensor gate, up, down;
    };
    Gemma2Config cfg_;
    Tensor embed_tokens_;  // [vocab, hidden], checkpoint dtype, mapped
    std::vector<Layer> layers_;
    Tensor norm_;
};

}  // namespace dit
