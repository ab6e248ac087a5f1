#pragma once
// A prompt field that tells the truth about what the text encoder sees: words the tokenizer has
// no piece for get a red wavy underline, the part past the model's token limit is greyed and
// struck through, the field's tooltip says both in words, and its label counts the tokens
// against the limit. Used by the prompt, negative prompt and region prompt fields alike.
#include <QString>

#include "studio/model/prompt_tokens.h"

class QLabel;
class QPlainTextEdit;

namespace dit::ui {

// `tokens` null: no model, nothing counted or marked. `what` names the field in the tooltip
// ("prompt", "region 2's prompt"); `tooltip` is the field's own help, kept first.
void show_prompt_issues(QPlainTextEdit* field, QLabel* count, const studio::PromptTokens* tokens,
                        const QString& what, const QString& tooltip);

}  // namespace dit::ui
