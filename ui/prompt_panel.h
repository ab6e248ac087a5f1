#pragma once
// Prompt dock: prompt and negative prompt, bound to the document (typing merges into one undo
// step until the field loses focus), and the prompt's token count against the model's limit.
#include <QPointer>
#include <QWidget>
#include <memory>

#include "engine/models/t5_tokenizer.h"
#include "studio/document/document.h"

class QLabel;
class QPlainTextEdit;

namespace dit::ui {

class PromptPanel : public QWidget {
    Q_OBJECT
public:
    explicit PromptPanel(QWidget* parent = nullptr);
    void setDocument(dit::studio::Document* doc);
    // The model's tokenizer and token limit; null when no model is loaded (no count shown).
    void setTokenizer(std::shared_ptr<const dit::T5Tokenizer> tokenizer, int max_tokens);

    QPlainTextEdit* promptEdit() const { return prompt_; }
    QPlainTextEdit* negativeEdit() const { return negative_; }
    QLabel* tokenLabel() const { return tokens_; }

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void pullFromDocument();
    void updateTokenCount();

    QPointer<dit::studio::Document> doc_;
    QPlainTextEdit *prompt_, *negative_;
    QLabel *tokens_, *negative_tokens_;
    std::shared_ptr<const dit::T5Tokenizer> tokenizer_;
    int max_tokens_ = 0;
};

}  // namespace dit::ui
