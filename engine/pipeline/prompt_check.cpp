#include "engine/pipeline/prompt_check.h"

#include <algorithm>
#include <cctype>

#include "engine/io/config.h"

namespace dit {

int pixart_max_tokens(ModelFamily family) { return family == ModelFamily::PixArtSigma ? 300 : 120; }

PromptCheck check_prompt(const T5Tokenizer& tokenizer, const std::string& text, int max_tokens) {
    size_t lead = 0;
    while (lead < text.size() && std::isspace(static_cast<unsigned char>(text[lead]))) ++lead;
    const auto pieces = tokenizer.pieces_with_offsets(caption_preprocess(text));
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

std::vector<std::string> request_warnings(const Request& req) {
    const auto folder = DiffusersFolder::open(req.model_dir);
    const T5Tokenizer tokenizer = T5Tokenizer::load(folder.component("tokenizer"));
    const int limit = pixart_max_tokens(runnable_family(folder));
    std::vector<std::string> out;
    const auto add = [&](const std::string& text, const std::string& what) {
        for (auto& w : describe(check_prompt(tokenizer, text, limit), text, what)) out.push_back(std::move(w));
    };
    add(req.prompt, "prompt");
    if (req.cfg > 1.0f) add(req.negative_prompt, "negative prompt");
    for (size_t i = 0; i < req.regions.size(); ++i) add(req.regions[i].prompt, "region " + std::to_string(i + 1) + "'s prompt");

    const Config tc = Config::read(folder.component("transformer") / "config.json");
    const Config vc = Config::read(folder.component("vae") / "config.json");
    const int64_t native = tc.get_int("sample_size", 0) << (int64_t(vc.get_ints("block_out_channels").size()) - 1);
    const auto far = [&](int side) { return native > 0 && (side > 2 * native || 2 * side < native); };
    if (far(req.width) || far(req.height))
        out.push_back("size: " + std::to_string(req.width) + "x" + std::to_string(req.height) + " is far from the " +
                      std::to_string(native) + " px the model was trained at; expect repeated or broken objects");
    return out;
}

}  // namespace dit
