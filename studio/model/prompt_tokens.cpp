#include "studio/model/prompt_tokens.h"

#include <filesystem>

#include "engine/pipeline/prompt_check.h"
#include "studio/model/model_defaults.h"

namespace dit::studio {

std::shared_ptr<const PromptTokens> PromptTokens::load(const QString& model_dir) {
    std::shared_ptr<PromptTokens> t(new PromptTokens);
    const std::string dir = (model_dir + "/tokenizer").toStdString();
    // Sana folders hold Gemma's tokenizer.model, PixArt's T5's spiece.model.
    if (std::filesystem::exists(std::filesystem::path(dir) / "tokenizer.model")) {
        auto tok = std::make_shared<const GemmaTokenizer>(GemmaTokenizer::load(dir));
        t->limit_ = sana_max_prompt_tokens();
        t->check_ = [tok, limit = t->limit_](const std::string& text) { return check_prompt(*tok, text, limit); };
    } else {
        auto tok = std::make_shared<const T5Tokenizer>(T5Tokenizer::load(dir));
        t->limit_ = model_defaults(model_dir).max_prompt_tokens;
        t->check_ = [tok, limit = t->limit_](const std::string& text) { return check_prompt(*tok, text, limit); };
    }
    return t;
}

// The count alone: no offsets to map, no sentences to write (the region list counts every region).
int PromptTokens::count(const QString& text) const { return check_(text.toStdString()).tokens; }

PromptIssues PromptTokens::inspect(const QString& text, const QString& what) const {
    const QByteArray utf8 = text.toUtf8();
    const std::string bytes = utf8.toStdString();
    const PromptCheck c = check_(bytes);
    // Byte offsets of the UTF-8 text -> the QString's (UTF-16) positions.
    const auto at = [&](size_t byte) { return int(QString::fromUtf8(utf8.left(qsizetype(byte))).size()); };
    PromptIssues out;
    out.tokens = c.tokens;
    for (const auto& [b, e] : c.unknown) out.unknown.append({at(b), at(e)});
    if (c.cut_at != std::string::npos) out.cut_at = at(c.cut_at);
    for (const auto& m : describe(c, bytes, what.toStdString())) out.messages << QString::fromStdString(m);
    return out;
}

}  // namespace dit::studio
