#include "ui/prompt_marks.h"

#include <QLabel>
#include <QPlainTextEdit>
#include <QTextCursor>

namespace dit::ui {

namespace {

QTextEdit::ExtraSelection mark(QPlainTextEdit* field, int begin, int end, const QTextCharFormat& format) {
    QTextEdit::ExtraSelection s;
    s.cursor = QTextCursor(field->document());
    s.cursor.setPosition(begin);
    s.cursor.setPosition(end, QTextCursor::KeepAnchor);
    s.format = format;
    return s;
}

}  // namespace

void show_prompt_issues(QPlainTextEdit* field, QLabel* count, const studio::PromptTokens* tokens,
                        const QString& what, const QString& tooltip) {
    QList<QTextEdit::ExtraSelection> marks;
    if (!tokens) {
        count->setText(QObject::tr("no model: tokens not counted"));
        count->setStyleSheet({});
        field->setExtraSelections(marks);
        field->setToolTip(tooltip);
        return;
    }
    const QString text = field->toPlainText();
    const studio::PromptIssues issues = tokens->inspect(text, what);
    QTextCharFormat unknown;
    unknown.setUnderlineStyle(QTextCharFormat::WaveUnderline);
    unknown.setUnderlineColor(QColor(255, 107, 107));
    for (const auto& [b, e] : issues.unknown) marks << mark(field, b, e, unknown);
    if (issues.cut_at >= 0) {
        QTextCharFormat cut;
        cut.setForeground(QColor(130, 130, 130));
        cut.setFontStrikeOut(true);
        marks << mark(field, issues.cut_at, int(text.size()), cut);
    }
    field->setExtraSelections(marks);
    field->setToolTip(issues.messages.isEmpty() ? tooltip : tooltip + QStringLiteral("\n\n") + issues.messages.join('\n'));

    QString label = QObject::tr("%1 / %2 tokens").arg(issues.tokens).arg(tokens->limit());
    if (issues.cut_at >= 0) label += QObject::tr(" · the rest is cut");
    if (!issues.unknown.isEmpty()) label += QObject::tr(" · %n unknown", nullptr, int(issues.unknown.size()));
    count->setText(label);
    count->setToolTip(issues.messages.isEmpty() ? QObject::tr("Tokens the text encoder sees, against the model's limit")
                                                : issues.messages.join('\n'));
    const bool bad = issues.cut_at >= 0 || !issues.unknown.isEmpty();
    count->setStyleSheet(bad ? QStringLiteral("color: #ff6b6b; font-weight: bold;") : QStringLiteral("color: #9a9a9a;"));
}

}  // namespace dit::ui
