#pragma once
// The Sana pipeline's prompt handling (diffusers v0.32 SanaPipeline.encode_prompt): the prompt is
// lower-cased and stripped, the "complex human instruction" is put in front of it (on by default,
// never on the negative prompt), the tokens padded on the right to
//   max_length_all = tokens(instruction, with <bos>) + max_sequence_length - 2
// and, after Gemma-2, the rows kept are the first (<bos>) and the last max_sequence_length - 1:
// select_index = [0, L - max_sequence_length + 1, ..., L - 1]. The negative prompt is padded to
// max_sequence_length and kept whole.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "engine/tensor.h"
#include "kernels/cpu/ops.h"

namespace dit {

class GemmaTokenizer;
class Gemma2Model;

// The pipeline's default instruction lines (joined with "\n"; the prompt follows the last).
const std::vector<std::string>& sana_complex_human_instruction();

struct SanaPromptOptions {
    int max_sequence_length = 300;
    bool use_instruction = true;  // complex_human_instruction on (the default) or off
    std::vector<std::string> instruction = sana_complex_human_instruction();
};

// The token rows Gemma-2 reads, and the rows of its output the transformer keeps.
struct SanaPromptTokens {
    std::vector<int32_t> ids, mask;   // [length]
    int length = 0;                   // max_length_all (prompt) or max_sequence_length (negative)
    std::vector<int32_t> select;      // [max_sequence_length] row indices into [0, length)
    bool truncated = false;           // the prompt lost tokens to max_length_all
};

// The prompt with the instruction (when on); throws dit::Error for max_sequence_length < 2.
SanaPromptTokens tokenize_sana_prompt(const GemmaTokenizer& tok, const std::string& prompt,
                                      const SanaPromptOptions& options = {});
// The negative prompt: no instruction, max_sequence_length tokens, every row kept.
SanaPromptTokens tokenize_sana_negative(const GemmaTokenizer& tok, const std::string& negative,
                                        int max_sequence_length = 300);

// What the Sana transformer's cross-attention reads: [1, max_sequence_length, hidden] and its
// key mask (1 for a token, 0 for padding).
struct SanaTextEmbedding {
    Tensor hidden;
    std::vector<int32_t> mask;
};
// Runs Gemma-2 over the tokens and keeps the selected rows (host memory).
SanaTextEmbedding encode_sana_prompt(const Gemma2Model& encoder, const SanaPromptTokens& tokens,
                                     kernels::Backend& ops, const std::function<bool()>* cancelled = nullptr);

}  // namespace dit
