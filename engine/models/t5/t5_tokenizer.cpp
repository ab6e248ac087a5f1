#include "engine/models/t5/t5_tokenizer.h"

#include <sentencepiece_processor.h>

#include <fstream>
#include <iterator>
#include <set>
#include <system_error>

#include "engine/error.h"

namespace dit {
namespace fs = std::filesystem;
namespace {

// Which top-level fields of the ModelProto message the bytes hold, walking protobuf's wire
// format; false when a field runs past the end. A download cut between two pieces is still a
// well-formed message (with fewer pieces and no specs), so this is what tells it apart: the
// pieces (field 1) come first, and every trained model follows them with trainer_spec (field 2)
// and normalizer_spec (field 3); one of the two is required here.
bool top_level_fields(const std::string& bytes, std::set<uint64_t>& fields) {
    size_t pos = 0;
    auto varint = [&](uint64_t& v) {
        v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos >= bytes.size()) return false;
            const auto b = static_cast<unsigned char>(bytes[pos++]);
            v |= uint64_t(b & 0x7f) << shift;
            if (!(b & 0x80)) return true;
        }
        return false;
    };
    while (pos < bytes.size()) {
        uint64_t key = 0, len = 0;
        if (!varint(key)) return false;
        switch (key & 7) {
        case 0: if (!varint(len)) return false; break;
        case 1: len = 8; break;
        case 2: if (!varint(len)) return false; break;
        case 5: len = 4; break;
        default: return false;
        }
        if ((key & 7) != 0) {
            if (len > bytes.size() - pos) return false;
            pos += static_cast<size_t>(len);
        }
        fields.insert(key >> 3);
    }
    return true;
}

}  // namespace

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
    std::ifstream in(file, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) throw Error("T5 tokenizer: cannot read " + file.string());
    if (bytes.empty()) throw Error("T5 tokenizer: " + file.string() + " is empty, not a SentencePiece model");

    std::set<uint64_t> fields;
    if (!top_level_fields(bytes, fields))
        throw Error("T5 tokenizer: " + file.string() + " is truncated or not a SentencePiece model "
                    "(its protobuf fields run past the end of the file)");
    if (!fields.count(1))
        throw Error("T5 tokenizer: " + file.string() + " is not a SentencePiece model (it holds no pieces)");
    if (!fields.count(2) && !fields.count(3))
        throw Error("T5 tokenizer: " + file.string() + " is truncated: it ends inside the piece list, "
                    "before the trainer and normalizer settings");
    auto sp = std::make_shared<sentencepiece::SentencePieceProcessor>();
    const auto status = sp->LoadFromSerializedProto(bytes);
    if (!status.ok())
        throw Error("T5 tokenizer: " + file.string() + " is not a valid SentencePiece model (" +
                    status.ToString() + ")");
    if (sp->GetPieceSize() < 2)
        throw Error("T5 tokenizer: " + file.string() + " has fewer than 2 pieces");

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

std::vector<TokenPiece> T5Tokenizer::pieces_with_offsets(const std::string& text) const {
    const auto proto = sp_->EncodeAsImmutableProto(text);
    std::vector<TokenPiece> out;
    out.reserve(proto.pieces_size());
    for (const auto& p : proto.pieces()) {
        const int id = int(p.id());
        out.push_back({id, size_t(p.begin()), size_t(p.end()), sp_->IsUnknown(id)});
    }
    return out;
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
