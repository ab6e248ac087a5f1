#include "engine/models/t5/t5_tokenizer.h"

#include <sentencepiece_processor.h>

#include <system_error>

#include "engine/error.h"
#include "engine/models/sentencepiece_model.h"

namespace dit {
namespace fs = std::filesystem;

T5Tokenizer T5Tokenizer::load(const fs::path& tokenizer_dir) {
    std::error_code ec;
    const bool is_file = fs::is_regular_file(tokenizer_dir, ec);
    const fs::path file = is_file ? tokenizer_dir : tokenizer_dir / "spiece.model";
    if (!fs::exists(file, ec)) {
        std::string msg = "T5 tokenizer: " + file.string() + " not found";
        if (!is_file && fs::exists(tokenizer_dir / "tokenizer.json", ec))
            msg += " (the folder has only tokenizer.json, the fast tokenizer; the SentencePiece model "
                   "spiece.model is needed)";
        else
            msg += " (the tokenizer folder should hold the SentencePiece model spiece.model)";
        throw Error(msg);
    }
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
    std::vector<int> ids;
    const auto status = sp_->Encode(text, &ids);
    if (!status.ok())
        throw Error("T5 tokenizer (" + model_file_.string() + "): cannot encode the prompt: " + status.ToString());
    return ids;
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
