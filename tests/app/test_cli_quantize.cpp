// dit-cli quantize as a user runs it: a quantized tiny model that dit-cli generate loads, the
// same components swapped into the f32 folder with --transformer / --text-encoder, and the
// refusals of bad arguments.
#include <QtTest>

#include "tests/common/cli_runner.h"

using dit::testing::run_cli;

namespace {
const QString kFixtures = QStringLiteral(DIT_FIXTURES);
}

class TestCliQuantize : public QObject {
    Q_OBJECT

    QTemporaryDir tmp_;
    QString out(const QString& name) const { return tmp_.filePath(name); }

private slots:
    void initTestCase() { QVERIFY(tmp_.isValid()); }

    void quantizedFolderAndSwappedFilesGenerate() {
        const QString model = kFixtures + "/tiny-pixart-sigma";
        const auto q = run_cli({"quantize", "--model", model, "--type", "q8_0", "--output", out("q8")});
        qInfo("%s", qPrintable(q.out + q.err));
        QCOMPARE(q.code, 0);
        QVERIFY(q.out.contains("transformer: ") && q.out.contains("Q8_0"));
        QVERIFY(QFileInfo::exists(out("q8/transformer/diffusion_pytorch_model.gguf")));
        QVERIFY(QFileInfo::exists(out("q8/text_encoder/model.gguf")));
        QVERIFY(QFileInfo::exists(out("q8/tokenizer/spiece.model")));

        const QStringList gen = {"generate", "--prompt", "a red circle", "--width", "64", "--height", "64",
                                 "--steps", "2", "--seed", "4", "--quiet"};
        QCOMPARE(run_cli(gen + QStringList{"--model", out("q8"), "--output", out("whole.png")}).code, 0);
        const auto swapped = run_cli(gen + QStringList{"--model", model, "--output", out("swapped.png"),
                                                       "--transformer", out("q8/transformer/diffusion_pytorch_model.gguf"),
                                                       "--text-encoder", out("q8/text_encoder/model.gguf")});
        QCOMPARE(swapped.code, 0);
        QCOMPARE(QImage(out("swapped.png")), QImage(out("whole.png")));
    }

    void badArgumentsAreRefused_data() {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<int>("code");
        QTest::addColumn<QString>("want");
        const QString m = kFixtures + "/tiny-pixart-alpha";
        QTest::newRow("type") << QStringList{"quantize", "--model", m, "--type", "q3_k", "--output", "/tmp/never"} << 2
                              << "--type 'q3_k' is not one of";
        QTest::newRow("no output") << QStringList{"quantize", "--model", m, "--type", "q8_0"} << 2 << "--output is required";
        QTest::newRow("component") << QStringList{"quantize", "--model", m, "--type", "q8_0", "--components", "vae",
                                                  "--output", "/tmp/never"} << 2 << "'vae' is not transformer or text_encoder";
        QTest::newRow("exists") << QStringList{"quantize", "--model", m, "--type", "q8_0", "--output", m} << 1
                                << "already exists";
        QTest::newRow("swap not found") << QStringList{"generate", "--model", m, "--prompt", "x", "--transformer",
                                                       "/nonexistent.gguf", "--quiet"} << 1
                                        << "/nonexistent.gguf: not found; --transformer takes";
        QTest::newRow("swap wrong tensors") << QStringList{"generate", "--model", m, "--prompt", "x", "--text-encoder",
                                                           m + "/transformer/diffusion_pytorch_model.safetensors", "--quiet"}
                                            << 1 << "text_encoder weights (";
    }
    void badArgumentsAreRefused() {
        QFETCH(QStringList, args);
        QFETCH(int, code);
        QFETCH(QString, want);
        const auto r = run_cli(args);
        qInfo("%s", qPrintable(r.err.trimmed()));
        QCOMPARE(r.code, code);
        QVERIFY2(r.err.contains(want), qPrintable(r.err));
    }
};

QTEST_MAIN(TestCliQuantize)
#include "test_cli_quantize.moc"
