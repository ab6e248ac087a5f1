#pragma once
// The regional-prompt editor (part of the prompt dock): a list of the document's regions, each
// with its colour, prompt and token count; add, remove, recolour; the selected region's prompt;
// and "Paint", which turns the canvas's brush onto the selected region's mask (the Region tool).
// Every edit is a Document command: typing a region's prompt merges into one undo step until the
// field loses focus, a colour change is a step of its own, a brush stroke is one step.
#include <QPointer>
#include <QWidget>
#include <memory>

#include "studio/model/prompt_tokens.h"
#include "studio/document/document.h"

class QLabel;
class QListWidget;
class QPlainTextEdit;
class QPushButton;

namespace dit::ui {

class CanvasView;

class RegionEditor : public QWidget {
    Q_OBJECT
public:
    explicit RegionEditor(CanvasView* canvas, QWidget* parent = nullptr);
    void setDocument(dit::studio::Document* doc);
    void setTokens(std::shared_ptr<const dit::studio::PromptTokens> tokens);

    // The selected region's id; 0 when none.
    quint32 selectedRegion() const;
    void selectRegion(quint32 id);
    // What the colour button does once the dialog has answered (tests call it directly). A
    // colour close to the mask's is refused with a message; returns whether it was applied.
    bool setSelectedColour(const QColor& colour);
    // The colour a new region gets: the next of a palette of distinct hues, never the mask's.
    QColor nextColour() const;

    QListWidget* list() const { return list_; }
    QPlainTextEdit* promptEdit() const { return prompt_; }
    QLabel* tokenLabel() const { return tokens_; }
    QPushButton* addButton() const { return add_; }
    QPushButton* removeButton() const { return remove_; }
    QPushButton* colourButton() const { return colour_; }
    QPushButton* paintButton() const { return paint_; }

signals:
    void message(const QString& text, bool error);

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void refresh();            // the list from the document, keeping the selection
    void selectionChanged();   // prompt field, buttons and the canvas's active region follow
    QString tokenText(const QString& prompt, bool* over) const;
    void showPromptIssues();  // the selected region's field and label (ui/prompt_marks.h)

    CanvasView* canvas_;
    QPointer<dit::studio::Document> doc_;
    QListWidget* list_;
    QPlainTextEdit* prompt_;
    QLabel* tokens_;
    QPushButton *add_, *remove_, *colour_, *paint_;
    std::shared_ptr<const dit::studio::PromptTokens> tokens_count_;
};

}  // namespace dit::ui
