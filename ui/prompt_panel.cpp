#include "ui/prompt_panel.h"

#include <QEvent>
#include <QGroupBox>
#include <QLabel>
#include <QPlainTextEdit>
#include <QVBoxLayout>

#include "ui/prompt_marks.h"
#include "ui/region_editor.h"

namespace dit::ui {

using studio::Document;

PromptPanel::PromptPanel(CanvasView* canvas, QWidget* parent) : QWidget(parent) {
    auto* v = new QVBoxLayout(this);
    prompt_ = new QPlainTextEdit(this);
    prompt_->setPlaceholderText(tr("Describe the image…"));
    prompt_->setTabChangesFocus(true);
    prompt_->setMinimumHeight(60);
    negative_ = new QPlainTextEdit(this);
    negative_->setPlaceholderText(tr("What to avoid (negative prompt)"));
    negative_->setTabChangesFocus(true);
    negative_->setMaximumHeight(50);
    tokens_ = new QLabel(this);
    negative_tokens_ = new QLabel(this);
    for (QLabel* l : {tokens_, negative_tokens_}) l->setAlignment(Qt::AlignRight);
    v->addWidget(new QLabel(tr("Prompt"), this));
    v->addWidget(prompt_, 2);
    v->addWidget(tokens_);
    v->addWidget(new QLabel(tr("Negative prompt"), this));
    v->addWidget(negative_, 1);
    v->addWidget(negative_tokens_);
    if (canvas) {
        auto* box = new QGroupBox(tr("Regional prompts"), this);
        auto* bl = new QVBoxLayout(box);
        regions_ = new RegionEditor(canvas, box);
        bl->addWidget(regions_);
        v->addWidget(box);
    }
    prompt_->installEventFilter(this);
    negative_->installEventFilter(this);

    connect(prompt_, &QPlainTextEdit::textChanged, this, [this] {
        if (doc_ && doc_->prompt() != prompt_->toPlainText()) doc_->setPrompt(prompt_->toPlainText());
        updateTokenCount();
    });
    connect(negative_, &QPlainTextEdit::textChanged, this, [this] {
        if (doc_ && doc_->negativePrompt() != negative_->toPlainText())
            doc_->setNegativePrompt(negative_->toPlainText());
        updateTokenCount();
    });
    updateTokenCount();
}

void PromptPanel::setDocument(Document* doc) {
    if (doc_) disconnect(doc_, nullptr, this, nullptr);
    doc_ = doc;
    if (doc_)
        connect(doc_, &Document::layerChanged, this, [this](Document::Layer l, QRect, quint32) {
            if (l == Document::Layer::Prompts) pullFromDocument();
        });
    if (regions_) regions_->setDocument(doc);
    pullFromDocument();
}

void PromptPanel::pullFromDocument() {
    if (!doc_) return;
    // Only a change from elsewhere (undo, restore) rewrites the field, so typing keeps its cursor.
    if (prompt_->toPlainText() != doc_->prompt()) {
        QSignalBlocker b(prompt_);
        prompt_->setPlainText(doc_->prompt());
    }
    if (negative_->toPlainText() != doc_->negativePrompt()) {
        QSignalBlocker b(negative_);
        negative_->setPlainText(doc_->negativePrompt());
    }
    updateTokenCount();
}

void PromptPanel::setTokens(std::shared_ptr<const studio::PromptTokens> tokens) {
    tokens_count_ = std::move(tokens);
    if (regions_) regions_->setTokens(tokens_count_);
    updateTokenCount();
}

void PromptPanel::updateTokenCount() {
    show_prompt_issues(prompt_, tokens_, tokens_count_.get(), tr("prompt"), tr("What the picture shows; Ctrl+Enter generates"));
    show_prompt_issues(negative_, negative_tokens_, tokens_count_.get(), tr("negative prompt"),
                       tr("What the picture should avoid (used when CFG is above 1)"));
}

bool PromptPanel::eventFilter(QObject* watched, QEvent* event) {
    if (event->type() == QEvent::FocusOut && doc_) doc_->sealMerging();
    return QWidget::eventFilter(watched, event);
}

}  // namespace dit::ui
