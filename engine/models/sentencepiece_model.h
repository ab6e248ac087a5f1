#pragma once
// Loading a SentencePiece model file (T5's spiece.model, Gemma's tokenizer.model) with checks
// that tell a truncated or foreign file apart from a model, shared by the tokenizers.
#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace sentencepiece {
class SentencePieceProcessor;
}

namespace dit {

// Reads and checks `file`; errors begin with `who` ("T5 tokenizer") and name the file: unreadable,
// empty, truncated (protobuf fields running past the end, or the piece list without the trainer
// and normalizer settings that follow it in every trained model), not a model, fewer than 2 pieces.
// The model file: `dir_or_file` itself when it is a file, else `dir_or_file` / `name` (the file
// the tokenizer folder should hold). Throws "<who>: <file> not found (...)", pointing out a
// folder that has only the fast tokenizer's tokenizer.json.
std::filesystem::path sentencepiece_file(const std::filesystem::path& dir_or_file, const std::string& name,
                                         const std::string& who);

// One SentencePiece piece and the bytes of the input it came from.
struct TokenPiece {
    int id = 0;
    size_t begin = 0, end = 0;  // byte range in the encoded text
    bool unknown = false;       // <unk>: the vocabulary has no piece for these bytes
};

// The text's pieces with where each came from (what the prompt fields mark).
std::vector<TokenPiece> sentencepiece_pieces_with_offsets(const sentencepiece::SentencePieceProcessor& sp,
                                                          const std::string& text);

// The text's piece ids; errors name `who` and the model file.
std::vector<int> sentencepiece_encode(const sentencepiece::SentencePieceProcessor& sp, const std::string& text,
                                      const std::filesystem::path& file, const std::string& who);

std::shared_ptr<const sentencepiece::SentencePieceProcessor> load_sentencepiece(const std::filesystem::path& file,
                                                                               const std::string& who);

}  // namespace dit
