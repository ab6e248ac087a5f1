#pragma once
// The T5 tokenizer: SentencePiece (spiece.model) ids plus </s>, padded with <pad> to a fixed
// length, as transformers' T5Tokenizer(text, padding="max_length", truncation=True, max_length,
// add_special_tokens=True) gives for ordinary text. PixArt-α pads to 120 tokens, PixArt-Σ to 300.
//
// Not mirrored: transformers splits out its added tokens (a literal "</s>", "<pad>", "<unk>" or
// "<extra_id_N>" typed in the prompt) before SentencePiece; here they are plain text.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "engine/models/sentencepiece_model.h"  // TokenPiece

namespace dit {

struct TokenizedPrompt {
    std::vector<int32_t> ids;   // [max_length]: pieces, </s>, then <pad>
    std::vector<int32_t> mask;  // [max_length]: 1 for the pieces and </s>, 0 for padding
    int length = 0;             // real tokens incl. EOS (after truncation)
    bool truncated = false;     // the prompt had more than max_length - 1 pieces
};

class T5Tokenizer {
public:
    // `tokenizer_dir` holds spiece.model (a path to the .model file itself is accepted too).
    // Throws dit::Error naming the file when it is missing or not a SentencePiece model.
    static T5Tokenizer load(const std::filesystem::path& tokenizer_dir);

    // Pieces cut to max_length - 1, then </s>, then <pad> up to max_length (>= 1).
    TokenizedPrompt encode(const std::string& text, int max_length) const;
    // Tokens the prompt needs, incl. EOS, before truncation (shown against the limit).
    int count_tokens(const std::string& text) const;
    // The pieces encode() starts from, with where each came from in `text` (before truncation).
    std::vector<TokenPiece> pieces_with_offsets(const std::string& text) const;

    int pad_id() const { return pad_id_; }
    int eos_id() const { return eos_id_; }
    int vocab_size() const;  // SentencePiece pieces (transformers adds 100 <extra_id_N> on top)
    const std::filesystem::path& model_file() const { return model_file_; }

private:
    std::vector<int> pieces(const std::string& text) const;

    std::shared_ptr<const sentencepiece::SentencePieceProcessor> sp_;
    std::filesystem::path model_file_;
    int pad_id_ = 0;
    int eos_id_ = 1;
};

}  // namespace dit
