#include "engine/models/gemma2/sana_prompt.h"

#include <cstring>

#include "engine/error.h"
#include "engine/models/caption_preprocess.h"
#include "engine/models/gemma2/gemma2_model.h"
#include "engine/models/gemma2/gemma_tokenizer.h"

namespace dit {

const std::vector<std::string>& sana_complex_human_instruction() {
    // The default of SanaPipeline.__call__(complex_human_instruction=...), line by line.
    static const std::vector<std::string> lines = {
        "Given a user prompt, generate an 'Enhanced prompt' that provides detailed visual descriptions suitable "
        "for image generation. Evaluate the level of detail in the user prompt:",
        "- If the prompt is simple, focus on adding specifics about colors, shapes, sizes, textures, and spatial "
        "relationships to create vivid and concrete scenes.",
        "- If the prompt is already detailed, refine and enhance the existing details slightly without "
        "overcomplicating.",
        "Here are examples of how to transform or refine prompts:",
        "- User Prompt: A cat sleeping -> Enhanced: A small, fluffy white cat curled up in a round shape, sleeping "
        "peacefully on a warm sunny windowsill, surrounded by pots of blooming red flowers.",
        "- User Prompt: A busy city street -> Enhanced: A bustling city street scene at dusk, featuring glowing "
        "street lamps, a diverse crowd of people in colorful clothing, and a double-decker bus passing by towering "
        "glass skyscrapers.",
        "Please generate only the enhanced description for the prompt below and avoid including any additional "
        "commentary or evaluations:",
        "User Prompt: ",
    };
    return lines;
}

namespace {

void check_length(int max_sequence_length) {
    if (max_sequence_length < 2)
        throw Error("Sana prompt: max_sequence_length must be at least 2 (<bos> and one token), got " +
                    std::to_string(max_sequence_length));
}

SanaPromptTokens from(const TokenizedPrompt& t, std::vector<int32_t> select) {
    SanaPromptTokens out;
    out.ids = t.ids;
    out.mask = t.mask;
    out.length = static_cast<int>(t.ids.size());
    out.truncated = t.truncated;
    out.select = std::move(select);
    return out;
}

}  // namespace

SanaPromptTokens tokenize_sana_prompt(const GemmaTokenizer& tok, const std::string& prompt,
                                      const SanaPromptOptions& options) {
    const int M = options.max_sequence_length;
    check_length(M);
    std::string text = caption_preprocess(prompt);
    int length = M;
    if (options.use_instruction && !options.instruction.empty()) {
        std::string chi;
        for (size_t i = 0; i < options.instruction.size(); ++i) chi += (i ? "\n" : "") + options.instruction[i];
        length = tok.count_tokens(chi) + M - 2;  // the instruction's tokens count its <bos>
        text = chi + text;
    }
    // select_index = [0] + range(-M + 1, 0): <bos>, then the last M - 1 rows
    std::vector<int32_t> select{0};
    for (int i = length - M + 1; i < length; ++i) select.push_back(i);
    return from(tok.encode(text, length), std::move(select));
}

SanaPromptTokens tokenize_sana_negative(const GemmaTokenizer& tok, const std::string& negative,
                                        int max_sequence_length) {
    check_length(max_sequence_length);
    std::vector<int32_t> select;
    for (int i = 0; i < max_sequence_length; ++i) select.push_back(i);
    return from(tok.encode(caption_preprocess(negative), max_sequence_length), std::move(select));
}

SanaTextEmbedding encode_sana_prompt(const Gemma2Model& encoder, const SanaPromptTokens& tokens,
                                     kernels::Backend& ops, const std::function<bool()>* cancelled) {
    // [1, length] tokens -> Gemma-2 -> [1, length, hidden] -> rows `select` -> [1, M, hidden]
    const Tensor all = encoder.forward(tokens.ids, tokens.mask, 1, tokens.length, ops, cancelled);
    const int64_t D = all.dim(2), M = int64_t(tokens.select.size());
    SanaTextEmbedding out;
    out.hidden = Tensor({1, M, D});
    for (int64_t r = 0; r < M; ++r) {
        const int32_t row = tokens.select[size_t(r)];
        std::memcpy(out.hidden.data() + r * D, all.data() + int64_t(row) * D, sizeof(float) * size_t(D));
        out.mask.push_back(tokens.mask[size_t(row)]);
    }
    return out;
}

}  // namespace dit
