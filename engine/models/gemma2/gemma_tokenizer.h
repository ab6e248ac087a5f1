#pragma once
// Gemma's tokenizer: the SentencePiece model (tokenizer.model in the diffusers `tokenizer/`
// folder; BPE with byte fallback, no dummy prefix, whitespace kept) with <bos> in front and
// <pad> after, as transformers' GemmaTokenizer(text, padding="max_length", truncation=True,
// max_length, add_special_tokens=True) gives with the right-side padding the Sana pipeline sets.
//
// Not mirrored: transformers splits out its added tokens (a literal "<start_of_turn>" or "<pad>"
// typed in the prompt) before SentencePiece; here they are plain text.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "engine/models/t5/t5_tokenizer.h"  // TokenizedPrompt

namespace dit {

class GemmaTokenizer {
public:
    // `tokenizer_dir` holds tokenizer.model (a path to the .model file itself is accepted too).
    // Throws dit::Error naming the file when it is missing, truncated or not a SentencePiece model.
    static GemmaTokenizer load(const std::filesystem::path& tokenizer_dir);

    // <bos>, the pieces cut to max_length - 1, then <pad> up to max_length (>= 1).
    TokenizedPrompt encode(const std::string& text, int max_length) const;
    // Tokens the text needs with its <bos>, before truncation (len(tokenizer.encode(text))).
    int count_tokens(const std::string& text) const;
    std::vector<int> pieces(const std::string& text) const;  // SentencePiece ids, no <bos>
    // The pieces with where each came from in `text` (before truncation, no <bos>).
    std::vector<TokenPiece> pieces_with_offsets(const std::string& text) const;

    int bos_id() const { return bos_id_; }
    int pad_id() const { return pad_id_; }
    int vocab_size() const;
    const std::filesystem::path& model_file() const { return model_file_; }

private:
    std::shared_ptr<const sentencepiece::SentencePieceProcessor> sp_;
    std::filesystem::path model_file_;
    int bos_id_ = 2;
    int pad_id_ = 0;
};

}  // namespace dit
