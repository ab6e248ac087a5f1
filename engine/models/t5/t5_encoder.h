#pragma once
// transformers' T5EncoderModel (T5 v1.1 as PixArt uses it: RMS norms, gated-GELU feed-forward,
// relative position buckets; the v1.0 ReLU feed-forward loads too), from a component folder
// (config.json + model.safetensors, or shards + model.safetensors.index.json) by its checkpoint
// key names:
//   shared.weight (or encoder.embed_tokens.weight; the tied twin is ignored)   [vocab, d_model]
//   encoder.block.{i}.layer.0.layer_norm.weight                                [d_model]
//   encoder.block.{i}.layer.0.SelfAttention.{q,k,v}.weight                     [H*d_kv, d_model]
//   encoder.block.{i}.layer.0.SelfAttention.o.weight                           [d_model, H*d_kv]
//   encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight       [buckets, H]
//   encoder.block.{i}.layer.1.layer_norm.weight                                [d_model]
//   encoder.block.{i}.layer.1.DenseReluDense.{wi_0,wi_1}.weight (gated) or .wi [d_ff, d_model]
//   encoder.block.{i}.layer.1.DenseReluDense.wo.weight                         [d_model, d_ff]
//   encoder.final_layer_norm.weight                                            [d_model]
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

struct T5EncoderConfig {
    enum class Activation { Relu, Gelu, GeluTanh, Silu };

    int vocab_size = 32128;
    int d_model = 4096;
    int d_kv = 64;
    int d_ff = 10240;
    int num_layers = 24;
    int num_heads = 64;
    int relative_attention_num_buckets = 32;
    int relative_attention_max_distance = 128;
    float layer_norm_epsilon = 1e-6f;
    std::string feed_forward_proj = "gated-gelu";
    bool gated = true;                            // "gated-ACT": act(wi_0 x) * wi_1 x
    Activation activation = Activation::GeluTanh;  // "gated-gelu" is the tanh GELU (gelu_new)

    int inner_dim() const { return num_heads * d_kv; }
    // Reads and validates config.json; errors name the file and the field.
    static T5EncoderConfig from(const Config& c);
};

class T5EncoderModel {
public:
    // `component_dir` holds config.json and the weights (single or sharded; f32/f16/bf16, FP8,
    // GGUF with Hugging Face or llama.cpp names); `weights`, when given, is a single file used
    // instead of the folder's weights.
    static std::unique_ptr<T5EncoderModel> load(const std::filesystem::path& component_dir,
                                                kernels::Backend& ops = kernels::fast(),
                                                const std::filesystem::path& weights = {});

    // ids, mask: [B*L] row-major (mask 1 = real token, 0 = padding) -> last_hidden_state
    // [B, L, d_model] after final_layer_norm. Padding positions get values too (as in
    // transformers); callers mask them downstream. Polls `*cancelled` between blocks.
    // release_weights (the low-VRAM mode): each block's matrices leave a device backend's memory
    // once the block has run, so at most one block's are there at a time; on the host their
    // mapped pages are handed back too (MappedFile::release_pages), so T5-XXL's 9.5 GB are not
    // resident while the transformer runs.
    Tensor forward(const std::vector<int32_t>& ids, const std::vector<int32_t>& mask, int B, int L,
                   kernels::Backend& ops, const std::function<bool()>* cancelled = nullptr,
                   bool release_weights = false) const;

    int d_model() const { return cfg_.d_model; }
    const T5EncoderConfig& config() const { return cfg_; }

    // T5's bucket for relative position (key position - query position); bidirectional gives
    // the first half of the buckets to keys before the query and the second half to keys after.
    static int relative_position_bucket(int64_t relative_position, bool bidirectional, int num_buckets,
                                        int max_distance);
    // The encoder's (bidirectional) position bias, shared by every block: [H, L, L].
    Tensor position_bias(int64_t L) const;

private:
    struct Block {
        Tensor attn_norm;          // layer.0.layer_norm.weight
        Tensor q, k, v, o;         // layer.0.SelfAttention.* (checkpoint dtype, mapped)
        Tensor ff_norm;            // layer.1.layer_norm.weight
        Tensor wi_0, wi_1, wi;     // layer.1.DenseReluDense.* (wi_0/wi_1 gated, wi otherwise)
        Tensor wo;                 //   all four in the checkpoint dtype, mapped
    };

    void activate(float* x, int64_t n, kernels::Backend& ops) const;

    T5EncoderConfig cfg_;
    Tensor embed_tokens_;            // shared.weight [vocab, d_model] (checkpoint dtype, mapped)
    Tensor relative_attention_bias_;  // [buckets, H]
    std::vector<Block> blocks_;
    Tensor final_layer_norm_;
};

}  // namespace dit
