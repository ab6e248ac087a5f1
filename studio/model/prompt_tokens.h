#pragma once
// Token counts of prompts against the model's limit, for the prompt fields. The widgets see only
// this, never the engine's tokenizer: the studio layer is their one door to the engine.
#include <QList>
#include <QPair>
#include <QStringList>
#include <QString>
#include <functional>
#include <memory>
#include <string>

namespace dit {
struct PromptCheck;
}

namespace dit::studio {

// What the text encoder will not see of a prompt, in the field's character positions.
struct PromptIssues {
    int tokens = 0;                   // incl. EOS, before truncation
    QList<QPair<int, int>> unknown;   // [begin, end) the tokenizer has no piece for
    int cut_at = -1;                  // first character past the token limit; -1 when none
    QStringList messages;             // one sentence per problem (the CLI's warnings)
};

class PromptTokens {
public:
    // The tokenizer of a diffusers folder (<model_dir>/tokenizer: T5's for PixArt, Gemma's for
    // Sana) and the model's prompt limit. Throws dit::Error naming the file when the tokenizer
    // cannot be read.
    static std::shared_ptr<const PromptTokens> load(const QString& model_dir);

    int count(const QString& text) const;
    // `what` names the field in the messages ("prompt", "region 2's prompt").
    PromptIssues inspect(const QString& text, const QString& what = QStringLiteral("prompt")) const;
    int limit() const { return limit_; }

private:
    PromptTokens() = default;
    std::function<dit::PromptCheck(const std::string& utf8)> check_;
    int limit_ = 120;
};

}  // namespace dit::studio
