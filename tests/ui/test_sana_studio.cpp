// A Sana folder in the studio, as a user meets it: typed into the model field, the Generation
// panel names the family and takes the model's own defaults (its native size; Sana-Sprint's 2
// steps of scm), the prompt field counts against Sana's limit with Gemma's tokenizer, and
// Generate lands a result at that size.
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QtTest>

#include "studio/model/prompt_tokens.h"
#include "tests/common/test_window.h"
#include "ui/generation_panel.h"
#include "ui/prompt_panel.h"

class TestSanaStudio : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void sprint_folder_generates_with_its_defaults() {
        auto w = dit::testing::make_test_window();
        const QString model = QStringLiteral(DIT_FIXTURES "/sana_pipeline/sprint");
        QLineEdit* field = w->generationPanel()->modelEdit();
        field->setFocus();
        field->setText(model);
        QTest::keyClick(field, Qt::Key_Return);
        QCOMPARE(w->document()->settings().model_dir, model);
        const auto s = w->document()->settings();
        QCOMPARE(s.width, 64);
        QCOMPARE(s.height, 64);
        QCOMPARE(s.steps, 2);
        QCOMPARE(s.sampler, QStringLiteral("scm"));
        const QString shown = w->generationPanel()->componentsLabel()->text();
        QVERIFY2(shown.startsWith(QStringLiteral("Sana-Sprint · transformer")), qPrintable(shown));

        w->promptPanel()->promptEdit()->setPlainText(QStringLiteral("a red cube on a wooden table"));
        QSignalSpy applied(w.get(), &dit::ui::MainWindow::resultApplied);
        w->generate();
        QVERIFY(applied.wait(120000));
        const QImage result = w->document()->results().back().image;
        QCOMPARE(result.size(), QSize(64, 64));
    }

    void prompt_limit_is_sanas() {
        const auto tokens = dit::studio::PromptTokens::load(QStringLiteral(DIT_FIXTURES "/sana_pipeline/sana"));
        QCOMPARE(tokens->limit(), 299);
        QString words;
        for (int i = 0; i < 200; ++i) words += QStringLiteral("red cube ");
        const auto issues = tokens->inspect(words);
        QVERIFY(issues.tokens > 299);
        QVERIFY(issues.cut_at > 0 && issues.cut_at < words.size());
        QVERIFY(issues.unknown.isEmpty());  // byte fallback: every character has a piece
        QVERIFY(tokens->inspect(QStringLiteral("Café ☕ 東京")).messages.isEmpty());
    }
};

QTEST_MAIN(TestSanaStudio)
#include "test_sana_studio.moc"
