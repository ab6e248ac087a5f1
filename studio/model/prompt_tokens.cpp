#include "studio/model/prompt_tokens.h"

#include "engine/models/t5/t5_tokenizer.h"
#include "studio/model/model_defaults.h"

namespace dit::studio {

std::shared_ptr<const PromptTokens> PromptTokens::load(const QString& model_dir) {
    std::shared_ptr<PromptTokens> t(new PromptTokens);
    t->tokenizer_ = std::make_shared<const T5Tokenizer>(T5Tokenizer::load((model_dir + "/tokenizer").toStdString()));
    t->limit_ = model_defaults(model_dir).max_prompt_tokens;
    return t;
}

int PromptTokens::count(const QString& text) const { return tokenizer_->count_tokens(text.toStdString()); }

}  // namespace dit::studio
