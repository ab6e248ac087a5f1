#include "engine/io/gguf_names.h"

#include <cstring>

namespace dit {

namespace {

// Whole-model tensors.
constexpr const char* kModelNames[][2] = {
    {"token_embd.weight", "shared.weight"},
    {"enc.output_norm.weight", "encoder.final_layer_norm.weight"},
};

// Per block: enc.blk.N.<llama.cpp> -> encoder.block.N.layer.<Hugging Face>. llama.cpp gives every
// block an attn_rel_b slot; T5 checkpoints have the table in block 0 only, which is where it
// lands. ffn_up is wi_1 in a gated (v1.1) block, wi in an original T5 block (no ffn_gate).
constexpr const char* kBlockNames[][2] = {
    {"attn_q.weight", "0.SelfAttention.q.weight"},
    {"attn_k.weight", "0.SelfAttention.k.weight"},
    {"attn_v.weight", "0.SelfAttention.v.weight"},
    {"attn_o.weight", "0.SelfAttention.o.weight"},
    {"attn_rel_b.weight", "0.SelfAttention.relative_attention_bias.weight"},
    {"attn_norm.weight", "0.layer_norm.weight"},
    {"ffn_norm.weight", "1.layer_norm.weight"},
    {"ffn_gate.weight", "1.DenseReluDense.wi_0.weight"},
    {"ffn_up.weight", "1.DenseReluDense.wi_1.weight"},
    {"ffn_down.weight", "1.DenseReluDense.wo.weight"},
};

constexpr const char* kBlockPrefix = "enc.blk.";

}  // namespace

std::string t5_name_from_llama(const std::string& name, bool gated) {
    for (const auto& [llama, hf] : kModelNames)
        if (name == llama) return hf;
    const size_t plen = std::strlen(kBlockPrefix);
    if (name.compare(0, plen, kBlockPrefix) != 0) return "";
    size_t i = plen;
    while (i < name.size() && name[i] >= '0' && name[i] <= '9') ++i;
    if (i == plen || i - plen > 4 || i >= name.size() || name[i] != '.' || (name[plen] == '0' && i - plen > 1))
        return "";
    const std::string block = name.substr(plen, i - plen), rest = name.substr(i + 1);
    for (const auto& [llama, hf] : kBlockNames)
        if (rest == llama)
            return "encoder.block." + block + ".layer." + (rest == "ffn_up.weight" && !gated ? "1.DenseReluDense.wi.weight" : hf);
    return "";
}

std::string llama_name_from_t5(const std::string& name) {
    for (const auto& [llama, hf] : kModelNames)
        if (name == hf) return llama;
    const std::string prefix = "encoder.block.";
    if (name.compare(0, prefix.size(), prefix) != 0) return "";
    const size_t dot = name.find('.', prefix.size());
    if (dot == std::string::npos || name.compare(dot, 7, ".layer.") != 0) return "";
    const std::string block = name.substr(prefix.size(), dot - prefix.size()), rest = name.substr(dot + 7);
    if (rest == "1.DenseReluDense.wi.weight") return kBlockPrefix + block + ".ffn_up.weight";
    for (const auto& [llama, hf] : kBlockNames)
        if (rest == hf) return kBlockPrefix + block + "." + llama;
    return "";
}

bool uses_llama_t5_names(const std::map<std::string, std::string>& metadata, bool has_enc_output_norm) {
    const auto arch = metadata.find("general.architecture");
    return has_enc_output_norm || (arch != metadata.end() && (arch->second == "t5" || arch->second == "t5encoder"));
}

}  // namespace dit
