#pragma once
// Loading a SentencePiece model file (T5's spiece.model, Gemma's tokenizer.model) with checks
// that tell a truncated or foreign file apart from a model, shared by the tokenizers.
#include <filesystem>
#include <memory>
#include <string>

namespace sentencepiece {
class SentencePieceProcessor;
}

namespace dit {

// Reads and checks `file`; errors begin with `who` ("T5 tokenizer") and name the file: unreadable,
// empty, truncated (protobuf fields running past the end, or the piece list without the trainer
// and normalizer settings that follow it in every trained model), not a model, fewer than 2 pieces.
std::shared_ptr<const sentencepiece::SentencePieceProcessor> load_sentencepiece(const std::filesystem::path& file,
                                                                               const std::string& who);

}  // namespace dit
