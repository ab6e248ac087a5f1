// A quantized copy of a model in the studio, as a user meets it: `dit-cli quantize`'s folder
// chosen as the model, the Generation panel naming each component's size and storage type, and a
// generation from it that stays close to the original model's picture (same seed, same noise).
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>
#include <cmath>

#include "engine/io/quantize_model.h"
#include "studio/model/model_components.h"
#include "tests/common/test_window.h"
#include "ui/generation_panel.h"
#include "ui/prompt_panel.h"

using dit::ui::MainWindow;

namespace {

QImage generate(MainWindow& w, const QString& model) {
    // Typed into the model field and confirmed, as a user would.
    QLineEdit* field = w.generationPanel()->modelEdit();
    field->setFocus();
    field->setText(model);
    QTest::keyClick(field, Qt::Key_Return);
    if (w.document()->settings().model_dir != model) return {};
    auto s = w.document()->settings();
    s.steps = 4;
    s.seed = 11;
    s.random_seed = false;
    s.width = 96;
    s.height = 64;
    w.document()->setSettings(s, QStringLiteral("test"));
    w.promptPanel()->promptEdit()->setPlainText(QStringLiteral("a red circle above a blue square"));
    QSignalSpy applied(&w, &MainWindow::resultApplied);
    w.generate();
    if (!applied.wait(120000)) return {};
    return w.document()->results().back().image.convertToFormat(QImage::Format_RGB888);
}

double psnr(const QImage& a, const QImage& b) {
    double se = 0;
    for (int y = 0; y < a.height(); ++y)
        for (int x = 0; x < a.width() * 3; ++x) {
            const double d = double(a.constScanLine(y)[x]) - double(b.constScanLine(y)[x]);
            se += d * d;
        }
    const double mse = se / (double(a.width()) * a.height() * 3);
    return mse == 0 ? 99.0 : 10.0 * std::log10(255.0 * 255.0 / mse);
}

}  // namespace

class TestQuantizedModel : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void quantizedCopyShowsItsTypesAndGenerates() {
        QTemporaryDir tmp;
        QVERIFY(tmp.isValid());
        // The default model: its text encoder's matrices are large enough for the quantize rule
        // (the tiny fixture's are not).
        const QString original = QStringLiteral(DIT_SOURCE_DIR "/resources/models/default");
        const QString q8 = tmp.filePath(QStringLiteral("default-q8"));
        dit::quantize_model(original.toStdString(), q8.toStdString(), dit::DType::Q8_0, {"transformer", "text_encoder"});

        // The studio layer's view of both folders.
        const auto parts = dit::studio::model_components(q8);
        QCOMPARE(parts.size(), 3);
        QCOMPARE(parts[0].name, QStringLiteral("transformer"));
        QVERIFY2(parts[0].source.endsWith(QStringLiteral(".gguf")), qPrintable(parts[0].source));
        QVERIFY2(parts[0].types.contains(QStringLiteral("Q8_0")), qPrintable(parts[0].types));
        const auto originals = dit::studio::model_components(original);
        QCOMPARE(parts[2].types, originals[2].types);  // the VAE is copied as it is
        QVERIFY(parts[0].bytes < originals[0].bytes);
        QVERIFY(!dit::studio::describe_components(originals).contains(QStringLiteral("Q8_0")));

        auto w = dit::testing::make_test_window();
        const QImage reference = generate(*w, original);
        QVERIFY(!reference.isNull());
        const QImage quantized = generate(*w, q8);
        QVERIFY(!quantized.isNull());
        // The panel names what is loaded: both quantized components and the kept VAE.
        const QString shown = w->generationPanel()->componentsLabel()->text();
        QVERIFY2(shown.contains(QRegularExpression("transformer [0-9.]+ MiB Q8_0")) &&
                     shown.contains(QRegularExpression("text encoder [0-9.]+ MiB Q8_0")) &&
                     shown.contains(QRegularExpression("vae [0-9.]+ MiB F(32|16)")),
                 qPrintable(shown));
        QVERIFY(w->generationPanel()->componentsLabel()->toolTip().contains(QStringLiteral("diffusion_pytorch_model.gguf")));
        // Same seed, same noise: Q8_0 stays close to f32 (docs/quantization.md: 54 dB at 128 px,
        // 8 steps; the goal is 35 dB).
        QCOMPARE(quantized.size(), reference.size());
        const double db = psnr(quantized, reference);
        qInfo("default model, Q8_0 against f32: %.1f dB", db);
        QVERIFY2(db > 35.0, qPrintable(QString::number(db)));

        // A component that cannot be read is named, not fatal.
        QFile::resize(q8 + QStringLiteral("/transformer/diffusion_pytorch_model.gguf"), 100);
        const auto broken = dit::studio::model_components(q8);
        QVERIFY2(broken[0].problem.contains(QStringLiteral("diffusion_pytorch_model.gguf")), qPrintable(broken[0].problem));
        QVERIFY(dit::studio::describe_components(broken).contains(QStringLiteral("transformer unreadable")));
    }
};

QTEST_MAIN(TestQuantizedModel)
#include "test_quantized_model.moc"
