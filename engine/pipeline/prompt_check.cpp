#include "engine/pipeline/prompt_check.h"

#include <algorithm>
#include <cctype>

#include "engine/io/config.h"
#include "engine/models/gemma2/gemma_tokenizer.h"
#include "engine/pipeline/sana_pipeline.h"

namespace dit {

int pixart_max_tokens(ModelFamily family) { return family == ModelFamily::PixArtSigma ? 300 : 120; }

namespace {

// `pieces`: the tokenizer's pieces of caption_preprocess(text); one special token (T5's </s>,
// Gemma's <bos>) comes with them and counts against max_tokens.
PromptCheck check_pieces(const std::vector<TokenPiece>& pieces, const std::string& text, int max_tokens) {
    size_t lead = 0;
    while (lead < text.size() && std::isspace(static_cast<unsigned char>(text[lead]))) ++lead;
    PromptCheck c;
    c.limit = max_tokens;
    c.tokens = int(pieces.size()) + 1;
    for (size_t i = 0; i < pieces.size(); ++i) {
        const auto& p = pieces[i];
        if (i + 1 == size_t(std::max(max_tokens, 1)) && c.cut_at == std::string::npos) c.cut_at = lead + p.begin;
        if (!p.unknown) continue;
        // A piece's range takes the space before its word ("▁word"): the word alone is marked.
        size_t b = lead + p.begin;
        const size_t e = lead + p.end;
        while (b < e && std::isspace(static_cast<unsigned char>(text[b]))) ++b;
        if (b >= e) continue;
        if (!c.unknown.empty() && c.unknown.back().second >= b) c.unknown.back().second = e;
        else c.unknown.emplace_back(b, e);
    }
    return c;
}

}  // namespace

PromptCheck check_prompt(const T5Tokenizer& tokenizer, const std::string& text, int max_tokens) {
    return check_pieces(tokenizer.pieces_with_offsets(caption_preprocess(text)), text, max_tokens);
}

PromptCheck check_prompt(const GemmaTokenizer& tokenizer, const std::string& text, int max_tokens) {
    return check_pieces(tokenizer.pieces_with_offsets(caption_preprocess(text)), text, max_tokens);
}

int sana_max_prompt_tokens() { return SanaPipeline::kMaxSequenceLength - 1; }

std::vector<std::string> describe(const PromptCheck& check, const std::string& text, const std::string& what) {
    std::vector<std::string> out;
    if (!check.unknown.empty()) {
        std::string words;
        for (const auto& [b, e] : check.unknown) words += (words.empty() ? "'" : ", '") + text.substr(b, e - b) + "'";
        out.push_back(what + ": the tokenizer has no piece for " + words + "; the model sees an unknown token there");
    }
    if (check.cut_at != std::string::npos) {
        std::string rest = text.substr(check.cut_at);
        if (rest.size() > 40) rest = rest.substr(0, 37) + "...";
        out.push_back(what + ": " + std::to_string(check.tokens) + " tokens, the model reads " +
                      std::to_string(check.limit) + "; cut from '" + rest + "'");
    }
    return out;
}

namespace {

template <class Tokenizer>
std::vector<std::string> prompt_warnings(const Request& req, const Tokenizer& tokenizer, int limit) {
    std::vector<std::string> out;
    const auto add = [&](const std::string& text, const std::string& what) {
        for (auto& w : describe(check_prompt(tokenizer, text, limit), text, what)) out.push_back(std::move(w));
    };
    add(req.prompt, "prompt");
    if (req.cfg > 1.0f) add(req.negative_prompt, "negative prompt");
    for (size_t i = 0; i < req.regions.size(); ++i) add(req.regions[i].prompt, "region " + std::to_string(i + 1) + "'s prompt");
    return out;
}

}  // namespace

int native_size(const DiffusersFolder& folder) {
    const Config tc = Config::read(folder.component("transformer") / "config.json");
    const Config vc = Config::read(folder.component("vae") / "config.json");
    // AutoencoderKL lists block_out_channels, AutoencoderDC encoder_block_out_channels: either
    // way the down-scaling is 2^(stages - 1).
    const auto stages = vc.has("block_out_channels") ? vc.get_ints("block_out_channels").size()
                                                     : vc.get_ints("encoder_block_out_channels").size();
    return stages ? int(tc.get_int("sample_size", 0) << (int64_t(stages) - 1)) : 0;
}

std::vector<std::string> request_warnings(const Request& req) {
    const auto folder = DiffusersFolder::open(req.model_dir);
    const ModelFamily family = runnable_family(folder);
    const bool pixart = family == ModelFamily::PixArtAlpha || family == ModelFamily::PixArtSigma;
    std::vector<std::string> out =
        pixart ? prompt_warnings(req, T5Tokenizer::load(folder.component("tokenizer")), pixart_max_tokens(family))
               : prompt_warnings(req, GemmaTokenizer::load(folder.component("tokenizer")), sana_max_prompt_tokens());
    const int native = native_size(folder);
    const auto far = [&](int side) { return native > 0 && (side > 2 * native || 2 * side < native); };
    if (far(req.width) || far(req.height))
        out.push_back("size: " + std::to_string(req.width) + "x" + std::to_string(req.height) + " is far from the " +
                      std::to_string(native) + " px the model was trained at; expect repeated or broken objects");
    return out;
}

}  // namespace dit
