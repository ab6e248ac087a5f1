#include "engine/models/gemma2/gemma_tokenizer.h"

#include <sentencepiece_processor.h>

#include "engine/error.h"
#include "engine/models/sentencepiece_model.h"

namespace dit {
namespace fs = std::filesystem;

GemmaTokenizer GemmaTokenizer::load(const fs::path& tokenizer_dir) {
    const fs::path file = sentencepiece_file(tokenizer_dir, "tokenizer.model", "Gemma tokenizer");
    GemmaTokenizer t;
    t.sp_ = load_sentencepiece(file, "Gemma tokenizer");
    t.model_file_ = file;
    // Gemma's model defines <pad> = 0, <eos> = 1, <bos> = 2; one that disables <bos> cannot
    // give the sequences the text encoder was trained on.
    if (t.sp_->bos_id() < 0)
        throw Error("Gemma tokenizer: " + file.string() + " defines no <bos> piece (Gemma's sequences begin with one)");
    t.bos_id_ = t.sp_->bos_id();
    t.pad_id_ = t.sp_->pad_id() >= 0 ? t.sp_->pad_id() : 0;
    return t;
}

int GemmaTokenizer::vocab_size() const { return sp_->GetPieceSize(); }

std::vector<int> GemmaTokenizer::pieces(const std::string& text) const {
    return sentencepiece_encode(*sp_, text, model_file_, "Gemma tokenizer");
}

std::vector<TokenPiece> GemmaTokenizer::pieces_with_offsets(const std::string& text) const {
    return sentencepiece_pieces_with_offsets(*sp_, text);
}

TokenizedPrompt GemmaTokenizer::encode(const std::string& text, int max_length) const {
    if (max_length < 1)
        throw Error("Gemma tokenizer: max_length must be at least 1 (room for <bos>), got " + std::to_string(max_length));
    const std::vector<int> ids = pieces(text);
    TokenizedPrompt out;
    // transformers truncates the pieces, never the <bos> it adds.
    const size_t keep = static_cast<size_t>(max_length - 1);
    out.truncated = ids.size() > keep;
    out.ids.push_back(bos_id_);
    out.ids.insert(out.ids.end(), ids.begin(), ids.begin() + std::min(keep, ids.size()));
    out.length = static_cast<int>(out.ids.size());
    out.mask.assign(out.ids.size(), 1);
    out.ids.resize(static_cast<size_t>(max_length), pad_id_);
    out.mask.resize(static_cast<size_t>(max_length), 0);
    return out;
}

int GemmaTokenizer::count_tokens(const std::string& text) const { return static_cast<int>(pieces(text).size()) + 1; }

}  // namespace dit
