#pragma once
// Prompt dock: prompt and negative prompt, bound to the document (typing merges into one undo
// step until the field loses focus), the prompts' token counts against the model's limit, and
// the regional prompts (RegionEditor) when the panel has a canvas to paint region masks on.
#include <QPointer>
#include <QWidget>
#include <memory>

#include "studio/model/prompt_tokens.h"
#include "studio/document/document.h"

class QLabel;
class QPlainTextEdit;

namespace dit::ui {

class CanvasView;
class RegionEditor;

class PromptPanel : public QWidget {
    Q_OBJECT
public:
    explicit PromptPanel(QWidget* parent = nullptr) : PromptPanel(nullptr, parent) {}
    explicit PromptPanel(CanvasView* canvas, QWidget* parent = nullptr);
    void setDocument(dit::studio::Document* doc);
    // The model's token counter and limit; null when no model is loaded (no count shown).
    void setTokens(std::shared_ptr<const dit::studio::PromptTokens> tokens);

    QPlainTextEdit* promptEdit() const { return prompt_; }
    QPlainTextEdit* negativeEdit() const { return negative_; }
    QLabel* tokenLabel() const { return tokens_; }
    RegionEditor* regionEditor() const { return regions_; }  // null without a canvas

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void pullFromDocument();
    void updateTokenCount();

    QPointer<dit::studio::Document> doc_;
    QPlainTextEdit *prompt_, *negative_;
    QLabel *tokens_, *negative_tokens_;
    std::shared_ptr<const dit::studio::PromptTokens> tokens_count_;
    RegionEditor* regions_ = nullptr;
};

}  // namespace dit::ui
