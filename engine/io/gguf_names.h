#pragma once
// llama.cpp's converter renames T5's tensors (`enc.blk.N.attn_q.weight`, `token_embd.weight`,
// ...); this is the one table that maps them back to the Hugging Face T5EncoderModel names the
// engine binds. DiT GGUF files (city96's converter, `dit-cli quantize`) keep their checkpoint's
// names and need no table.
#include <map>
#include <string>

namespace dit {

// The Hugging Face name of a llama.cpp T5 tensor name, or "" when the name is not one of its
// encoder's (decoder tensors, other models). `gated`: the file has ffn_gate tensors (T5 v1.1).
std::string t5_name_from_llama(const std::string& name, bool gated);

// The inverse, for writing a T5 GGUF as llama.cpp names it (Hugging Face's longest T5 names do
// not fit GGUF's 63 bytes); "" for a name the table does not cover.
std::string llama_name_from_t5(const std::string& name);

// Whether a file's tensors use llama.cpp's T5 names: its architecture says t5 / t5encoder, or
// its tensors include the encoder's final norm under that name.
bool uses_llama_t5_names(const std::map<std::string, std::string>& metadata, bool has_enc_output_norm);

}  // namespace dit
