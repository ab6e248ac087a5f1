#include "engine/models/t5/t5_tokenizer.h"

#include <sentencepiece_processor.h>

#include "engine/error.h"
#include "engine/models/sentencepiece_model.h"

namespace dit {
namespace fs = std::filesystem;

T5Tokenizer T5Tokenizer::load(const fs::path& tokenizer_dir) {
    const fs::path file = sentencepiece_file(tokenizer_dir, "spiece.model", "T5 tokenizer");
    auto sp = load_sentencepiece(file, "T5 tokenizer");

    T5Tokenizer t;
    t.model_file_ = file;
    // T5's spiece.model defines <pad> = 0 and </s> = 1; a model that disables one (-1) gets T5's id.
    t.pad_id_ = sp->pad_id() >= 0 ? sp->pad_id() : 0;
    t.eos_id_ = sp->eos_id() >= 0 ? sp->eos_id() : 1;
    t.sp_ = std::move(sp);
    return t;
}

int T5Tokenizer::vocab_size() const { return sp_->GetPieceSize(); }

std::vector<int> T5Tokenizer::pieces(const std::string& text) const {
    return sentencepiece_encode(*sp_, text, model_file_, "T5 tokenizer");
}

std::vector<TokenPiece> T5Tokenizer::pieces_with_offsets(const std::string& text) const {
    return sentencepiece_pieces_with_offsets(*sp_, text);
}

TokenizedPrompt T5Tokenizer::encode(const std::string& text, int max_length) const {
    if (max_length < 1)
        throw Error("T5 tokenizer: max_length must be at least 1 (room for </s>), got " + std::to_string(max_length));
    std::vector<int> ids = pieces(text);
    TokenizedPrompt out;
    // transformers truncates the pieces, not the </s>: the EOS always closes the sequence.
    const size_t keep = static_cast<size_t>(max_length - 1);
    out.truncated = ids.size() > keep;
    if (out.truncated) ids.resize(keep);
    out.ids.assign(ids.begin(), ids.end());
    out.ids.push_back(eos_id_);
    out.length = static_cast<int>(out.ids.size());
    out.mask.assign(out.ids.size(), 1);
    out.ids.resize(static_cast<size_t>(max_length), pad_id_);
    out.mask.resize(static_cast<size_t>(max_length), 0);
    return out;
}

int T5Tokenizer::count_tokens(const std::string& text) const {
    return static_cast<int>(pieces(text).size()) + 1;
}

}  // namespace dit
