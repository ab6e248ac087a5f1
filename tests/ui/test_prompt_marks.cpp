// The prompt fields tell the truth about what the text encoder sees: a word the tokenizer has no
// piece for is underlined and named in the tooltip, the part past the token limit is struck
// through and the label says it is cut; the region prompt field does the same.
#include <QLabel>
#include <QPlainTextEdit>
#include <QStandardPaths>
#include <QtTest>

#include "tests/common/test_window.h"
#include "ui/prompt_panel.h"
#include "ui/region_editor.h"

namespace {

QStringList marked(QPlainTextEdit* field) {
    QStringList out;
    for (const auto& s : field->extraSelections()) out << s.cursor.selectedText();
    return out;
}

}  // namespace

class TestPromptMarks : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void unknownWordsAndTheCutAreShown() {
        auto w = dit::testing::make_test_window();
        QPlainTextEdit* prompt = w->promptPanel()->promptEdit();
        QLabel* label = w->promptPanel()->tokenLabel();

        prompt->setFocus();
        QTest::keyClicks(prompt, QStringLiteral("a red circle near a "));
        prompt->insertPlainText(QStringLiteral("жёлтый"));  // as an input method or a paste brings it
        QTest::keyClicks(prompt, QStringLiteral(" star"));
        QCOMPARE(marked(prompt), QStringList{QStringLiteral("жёлтый")});
        QVERIFY2(prompt->extraSelections().front().format.underlineStyle() == QTextCharFormat::WaveUnderline, "");
        QVERIFY2(prompt->toolTip().contains(QStringLiteral("no piece for 'жёлтый'")), qPrintable(prompt->toolTip()));
        QVERIFY2(label->text().contains(QStringLiteral("1 unknown")), qPrintable(label->text()));

        // Fixed, the marks go.
        prompt->setPlainText(QStringLiteral("a red circle near a yellow star"));
        QVERIFY(marked(prompt).isEmpty());
        QVERIFY(!label->text().contains(QStringLiteral("unknown")));
        QVERIFY(!prompt->toolTip().contains(QStringLiteral("no piece")));

        // Past the model's limit (120 tokens): the rest is struck through, from the cut to the end.
        QString words;
        for (int i = 0; i < 100; ++i) words += QStringLiteral("red circle ");
        prompt->setPlainText(words.trimmed());
        const auto sels = prompt->extraSelections();
        QCOMPARE(sels.size(), 1);
        QVERIFY(sels.front().format.fontStrikeOut());
        QCOMPARE(sels.front().cursor.selectionEnd(), int(prompt->toPlainText().size()));
        QVERIFY(sels.front().cursor.selectionStart() > 0);
        QVERIFY2(label->text().contains(QStringLiteral("cut")), qPrintable(label->text()));
        QVERIFY2(prompt->toolTip().contains(QStringLiteral("the model reads 120")), qPrintable(prompt->toolTip()));

        // A region's prompt, the same way.
        const quint32 id = w->document()->addRegion(QStringLiteral("a ☃ here"), QColor(40, 200, 90));
        dit::ui::RegionEditor* regions = w->promptPanel()->regionEditor();
        regions->selectRegion(id);
        QCOMPARE(marked(regions->promptEdit()), QStringList{QStringLiteral("☃")});
        QVERIFY2(regions->promptEdit()->toolTip().contains(QStringLiteral("region 1's prompt")),
                 qPrintable(regions->promptEdit()->toolTip()));
        QVERIFY2(regions->tokenLabel()->text().contains(QStringLiteral("unknown")), qPrintable(regions->tokenLabel()->text()));
    }
};

QTEST_MAIN(TestPromptMarks)
#include "test_prompt_marks.moc"
