#include "engine/models/sentencepiece_model.h"

#include <sentencepiece_processor.h>

#include <exception>
#include <fstream>
#include <iterator>
#include <set>
#include <system_error>

#include "engine/error.h"

namespace dit {
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

std::filesystem::path sentencepiece_file(const std::filesystem::path& dir_or_file, const std::string& name,
                                         const std::string& who) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const bool is_file = fs::is_regular_file(dir_or_file, ec);
    const fs::path file = is_file ? dir_or_file : dir_or_file / name;
    if (!fs::exists(file, ec)) {
        std::string msg = who + ": " + file.string() + " not found";
        if (!is_file && fs::exists(dir_or_file / "tokenizer.json", ec))
            msg += " (the folder has only tokenizer.json, the fast tokenizer; the SentencePiece model " + name +
                   " is needed)";
        else
            msg += " (the tokenizer folder should hold the SentencePiece model " + name + ")";
        throw Error(msg);
    }
    return file;
}

std::vector<int> sentencepiece_encode(const sentencepiece::SentencePieceProcessor& sp, const std::string& text,
                                      const std::filesystem::path& file, const std::string& who) {
    std::vector<int> ids;
    sentencepiece::util::Status status;
    try {
        status = sp.Encode(text, &ids);
    } catch (const std::exception& e) {
        throw Error(who + " (" + file.string() + "): cannot encode the prompt: " + e.what());
    }
    if (!status.ok()) throw Error(who + " (" + file.string() + "): cannot encode the prompt: " + status.ToString());
    return ids;
}

std::vector<TokenPiece> sentencepiece_pieces_with_offsets(const sentencepiece::SentencePieceProcessor& sp,
                                                          const std::string& text) {
    const auto proto = sp.EncodeAsImmutableProto(text);
    std::vector<TokenPiece> out;
    out.reserve(size_t(proto.pieces_size()));
    for (const auto& p : proto.pieces()) {
        const int id = int(p.id());
        out.push_back({id, size_t(p.begin()), size_t(p.end()), sp.IsUnknown(id)});
    }
    return out;
}

std::shared_ptr<const sentencepiece::SentencePieceProcessor> load_sentencepiece(const std::filesystem::path& file,
                                                                               const std::string& who) {
    std::ifstream in(file, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) throw Error(who + ": cannot read " + file.string());
    if (bytes.empty()) throw Error(who + ": " + file.string() + " is empty, not a SentencePiece model");

    std::set<uint64_t> fields;
    if (!top_level_fields(bytes, fields))
        throw Error(who + ": " + file.string() + " is truncated or not a SentencePiece model "
                    "(its protobuf fields run past the end of the file)");
    if (!fields.count(1))
        throw Error(who + ": " + file.string() + " is not a SentencePiece model (it holds no pieces)");
    if (!fields.count(2) && !fields.count(3))
        throw Error(who + ": " + file.string() + " is truncated: it ends inside the piece list, "
                    "before the trainer and normalizer settings");
    auto sp = std::make_shared<sentencepiece::SentencePieceProcessor>();
    // The library reports most faults as a status, but its trie builder throws (a piece that is
    // only NUL bytes makes an empty key); both become one error naming the file.
    sentencepiece::util::Status status;
    try {
        status = sp->LoadFromSerializedProto(bytes);
    } catch (const std::exception& e) {
        throw Error(who + ": " + file.string() + " is not a valid SentencePiece model (" + e.what() + ")");
    }
    if (!status.ok())
        throw Error(who + ": " + file.string() + " is not a valid SentencePiece model (" +
                    status.ToString() + ")");
    if (sp->GetPieceSize() < 2)
        throw Error(who + ": " + file.string() + " has fewer than 2 pieces");

    return sp;
}

}  // namespace dit
