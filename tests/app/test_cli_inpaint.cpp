// dit-cli generate with --mask on the tiny PixArt-α pipeline (tests/fixtures/tiny-pixart-alpha):
// every inpaint mode writes a PNG whose pixels outside the mask are the init image's, bit for bit
// (tolerance 0), and records the mode in its parameters; broken use (a mask without --init, a
// mask of a third size, an empty mask, an unknown mode, a lazy flag in full mode) fails with a
// message naming the problem: exit code 2 for a usage error, 1 for a request the engine refuses.
#include <QImage>
#include <QTemporaryDir>
#include <QtTest>

#include "tests/common/cli_runner.h"

namespace {

const QString kModel = QStringLiteral(DIT_FIXTURES "/tiny-pixart-alpha");

dit::testing::CliRun generate(const QStringList& args) {
    return dit::testing::run_cli(QStringList{"generate", "--model", kModel, "--prompt", "a red circle", "--width",
                                             "96", "--height", "64", "--steps", "3", "--quiet"} + args);
}

QImage test_image() {
    QImage img(96, 64, QImage::Format_RGB888);
    for (int y = 0; y < 64; ++y)
        for (int x = 0; x < 96; ++x) img.setPixelColor(x, y, QColor(x * 2, y * 3, (x / 8 + y / 8) % 2 ? 200 : 40));
    return img;
}

QImage test_mask(int w = 96, int h = 64, bool empty = false) {
    QImage m(w, h, QImage::Format_Grayscale8);
    m.fill(0);
    if (!empty)
        for (int y = h / 4; y < h * 3 / 4; ++y)
            for (int x = w / 3; x < w * 2 / 3; ++x) m.scanLine(y)[x] = 255;
    return m;
}

}  // namespace

class TestCliInpaint : public QObject {
    Q_OBJECT

    QTemporaryDir tmp_;
    QString init_, mask_;

private slots:
    void initTestCase() {
        QVERIFY(tmp_.isValid());
        QVERIFY2(QFile::exists(dit::testing::kCli), qPrintable(dit::testing::kCli + " is not built"));
        init_ = tmp_.filePath("init.png");
        mask_ = tmp_.filePath("mask.png");
        QVERIFY(test_image().save(init_));
        QVERIFY(test_mask().save(mask_));
    }

    void modes_keep_the_outside_data() {
        QTest::addColumn<QString>("mode");
        QTest::newRow("full") << "full";
        QTest::newRow("crop") << "crop";
        QTest::newRow("lazy") << "lazy";
    }
    void modes_keep_the_outside() {
        QFETCH(QString, mode);
        const QString out = tmp_.filePath(mode + ".png");
        QStringList args{"--init", init_, "--mask", mask_, "--inpaint-mode", mode, "--output", out};
        if (mode == "lazy") args << "--lazy-refresh" << "2";
        const auto run = generate(args);
        QVERIFY2(run.code == 0, qPrintable(run.err));
        const QImage got = QImage(out).convertToFormat(QImage::Format_RGB888);
        const QImage in = test_image(), m = test_mask();
        int outside = 0, inside_changed = 0;
        for (int y = 0; y < 64; ++y)
            for (int x = 0; x < 96; ++x)
                for (int c = 0; c < 3; ++c) {
                    const int d = std::abs(got.constScanLine(y)[x * 3 + c] - in.constScanLine(y)[x * 3 + c]);
                    if (m.constScanLine(y)[x] == 0) outside = std::max(outside, d);
                    else inside_changed += d > 0;
                }
        if (outside) qWarning("outside the mask: max abs diff %d (tolerance 0)", outside);
        QCOMPARE(outside, 0);
        QVERIFY(inside_changed > 100);
        QVERIFY(QImage(out).text("parameters").contains("Inpaint: " + mode));
    }

    void broken_use_fails_clearly_data() {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("message");
        QTest::addColumn<int>("code");
        QTest::newRow("no init") << QStringList{"--mask", "MASK"} << "--mask needs --init" << 2;
        QTest::newRow("third size") << QStringList{"--init", "INIT", "--mask", "SMALL"} << "is 40x30 but the init image is 96x64" << 2;
        QTest::newRow("empty") << QStringList{"--init", "INIT", "--mask", "EMPTY"} << "mask is empty" << 1;
        QTest::newRow("mode") << QStringList{"--init", "INIT", "--mask", "MASK", "--inpaint-mode", "fast"}
                              << "--inpaint-mode must be full, crop or lazy" << 2;
        QTest::newRow("refresh in full") << QStringList{"--init", "INIT", "--mask", "MASK", "--lazy-refresh", "2"}
                                         << "--lazy-refresh and --lazy-halo need --inpaint-mode lazy" << 2;
        QTest::newRow("refresh 0") << QStringList{"--init", "INIT", "--mask", "MASK", "--inpaint-mode", "lazy",
                                                  "--lazy-refresh", "0"}
                                   << "lazy refresh 0 is out of range" << 1;
        QTest::newRow("flag without mask") << QStringList{"--init", "INIT", "--inpaint-mode", "lazy"}
                                           << "--inpaint-mode needs --mask" << 2;
        QTest::newRow("unreadable") << QStringList{"--init", "INIT", "--mask", "NONE"} << "cannot read mask image" << 1;
    }
    void broken_use_fails_clearly() {
        QFETCH(QStringList, args);
        QFETCH(QString, message);
        QFETCH(int, code);
        const QString small = tmp_.filePath("small.png"), empty = tmp_.filePath("empty.png");
        QVERIFY(test_mask(40, 30).save(small));
        QVERIFY(test_mask(96, 64, true).save(empty));
        args.replaceInStrings("INIT", init_);
        args.replaceInStrings("MASK", mask_);
        args.replaceInStrings("SMALL", small);
        args.replaceInStrings("EMPTY", empty);
        args.replaceInStrings("NONE", tmp_.filePath("missing.png"));
        const auto run = generate(args << "--output" << tmp_.filePath("broken.png"));
        QCOMPARE(run.code, code);
        QVERIFY2(run.err.contains(message), qPrintable(run.err));
    }
};

QTEST_APPLESS_MAIN(TestCliInpaint)
#include "test_cli_inpaint.moc"
