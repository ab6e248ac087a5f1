#pragma once
// Token counts of prompts against the model's limit, for the prompt fields. The widgets see only
// this, never the engine's tokenizer: the studio layer is their one door to the engine.
#include <QString>
#include <memory>

namespace dit {
class T5Tokenizer;
}

namespace dit::studio {

class PromptTokens {
public:
    // The tokenizer of a diffusers folder (<model_dir>/tokenizer) and the model's prompt limit.
    // Throws dit::Error naming the file when the tokenizer cannot be read.
    static std::shared_ptr<const PromptTokens> load(const QString& model_dir);

    int count(const QString& text) const;
    int limit() const { return limit_; }

private:
    PromptTokens() = default;
    std::shared_ptr<const dit::T5Tokenizer> tokenizer_;
    int limit_ = 120;
};

}  // namespace dit::studio
