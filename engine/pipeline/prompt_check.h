#pragma once
// What the text encoder will not see of a prompt, said before a run: words the tokenizer has no
// piece for (they reach the model as <unk>), the part past the model's token limit (cut), and a
// size far from the one the model was trained at. `dit-cli generate` prints these as warnings;
// the studio underlines the same ranges in its prompt fields.
#include <string>
#include <utility>
#include <vector>

#include "engine/models/caption_preprocess.h"  // what the pipeline tokenizes; offsets map back through it
#include "engine/models/gemma2/gemma_tokenizer.h"
#include "engine/models/t5/t5_tokenizer.h"
#include "engine/pipeline/engine.h"
#include "engine/pipeline/model_family.h"

namespace dit {

// Tokens a PixArt pipeline reads, EOS included: Σ 300, α 120.
int pixart_max_tokens(ModelFamily family);
// Tokens of a Sana prompt the transformer reads, <bos> included: the instruction prefix goes
// through Gemma-2 in front of the prompt, then only <bos> and the last 299 of the 300 rows are
// kept, so the prompt's pieces past 298 are cut.
int sana_max_prompt_tokens();

struct PromptCheck {
    int tokens = 0;  // pieces + EOS, before truncation
    int limit = 0;
    // Byte ranges of the text (as given, before preprocessing) that became <unk>; neighbours merged.
    std::vector<std::pair<size_t, size_t>> unknown;
    // Byte offset of the first piece past the limit (the rest is cut); npos when nothing is.
    size_t cut_at = std::string::npos;
};

PromptCheck check_prompt(const T5Tokenizer& tokenizer, const std::string& text, int max_tokens);
// Gemma's tokenizer falls back to bytes, so its check finds no unknown words, only the cut.
PromptCheck check_prompt(const GemmaTokenizer& tokenizer, const std::string& text, int max_tokens);

// One sentence per problem of `check`, naming `what` ("prompt", "region 2's prompt").
std::vector<std::string> describe(const PromptCheck& check, const std::string& text, const std::string& what);

// The size a folder's model was trained at: the transformer's sample_size times the
// autoencoder's down-scaling (KL or DC); 0 when the config gives no sample_size.
int native_size(const DiffusersFolder& folder);

// The warnings for a request on its model folder: each of its prompts (negative and regions
// too; for Sana only the cut, since its tokenizer has no unknown words) and its size against the
// model's native size (more than 2x off in either side: objects repeat or break apart). Reads
// only the tokenizer and the configs. Throws dit::Error naming the file when they cannot be read.
std::vector<std::string> request_warnings(const Request& request);

}  // namespace dit
