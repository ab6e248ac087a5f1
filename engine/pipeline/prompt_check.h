#pragma once
// What the text encoder will not see of a prompt, said before a run: words the tokenizer has no
// piece for (they reach the model as <unk>), the part past the model's token limit (cut), and a
// size far from the one the model was trained at. `dit-cli generate` prints these as warnings;
// the studio underlines the same ranges in its prompt fields.
#include <string>
#include <utility>
#include <vector>

#include "engine/models/caption_preprocess.h"  // what the pipeline tokenizes; offsets map back through it
#include "engine/models/t5/t5_tokenizer.h"
#include "engine/pipeline/engine.h"
#include "engine/pipeline/model_family.h"

namespace dit {

// Tokens a PixArt pipeline reads, EOS included: Σ 300, α 120.
int pixart_max_tokens(ModelFamily family);

struct PromptCheck {
    int tokens = 0;  // pieces + EOS, before truncation
    int limit = 0;
    // Byte ranges of the text (as given, before preprocessing) that became <unk>; neighbours merged.
    std::vector<std::pair<size_t, size_t>> unknown;
    // Byte offset of the first piece past the limit (the rest is cut); npos when nothing is.
    size_t cut_at = std::string::npos;
};

PromptCheck check_prompt(const T5Tokenizer& tokenizer, const std::string& text, int max_tokens);

// One sentence per problem of `check`, naming `what` ("prompt", "region 2's prompt").
std::vector<std::string> describe(const PromptCheck& check, const std::string& text, const std::string& what);

// The warnings for a request on its PixArt model folder: each of its prompts (negative and regions
// too) and its size against the model's native size (more than 2x off in either side: objects
// repeat or break apart). Reads only the tokenizer and the configs. Throws dit::Error naming
// the file when they cannot be read.
std::vector<std::string> request_warnings(const Request& request);

}  // namespace dit
