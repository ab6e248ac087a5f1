// dit-cli generate --region "PROMPT:MASK.png" (repeatable) on the tiny PixArt-α pipeline: the
// regions reach the engine (the image changes, the PNG's parameters list them), a prompt with ':'
// splits at the last one, and malformed specs, unreadable and empty masks are refused with
// messages naming the flag, file or region.
#include <QImage>
#include <QTemporaryDir>
#include <QtTest>

#include "studio/result_png.h"
#include "tests/common/cli_runner.h"

using namespace dit::testing;

namespace {

const QString kModel = QStringLiteral(DIT_FIXTURES "/tiny-pixart-alpha");

QStringList base_args(const QString& out) {
    return {"generate", "--model", kModel, "--prompt", "a red circle at the top left", "--width", "96",
            "--height", "64", "--steps", "2", "--seed", "3", "--quiet", "--output", out};
}

// A grey mask: `value` on the left `left` columns, 0 elsewhere.
QString write_mask(const QTemporaryDir& tmp, const QString& name, int width, int height, int left, int value) {
    QImage m(width, height, QImage::Format_Grayscale8);
    m.fill(0);
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < left; ++x) m.scanLine(y)[x] = uchar(value);
    const QString path = tmp.filePath(name);
    m.save(path);
    return path;
}

}  // namespace

class TestCliRegion : public QObject {
    Q_OBJECT

private slots:
    void regions_reach_the_engine() {
        QTemporaryDir tmp;
        const QString left = write_mask(tmp, "left.png", 96, 64, 40, 255);
        const QString small = write_mask(tmp, "small.png", 48, 32, 10, 255);  // scaled to 96x64
        const auto plain = run_cli(base_args(tmp.filePath("plain.png")));
        QVERIFY2(plain.code == 0, qPrintable(plain.err));
        QStringList args = base_args(tmp.filePath("regions.png"));
        args << "--region" << "a green star: big:" + left << "--region=a blue square:" + small;
        const auto run = run_cli(args);
        QVERIFY2(run.code == 0, qPrintable(run.err));
        QVERIFY(QImage(tmp.filePath("plain.png")) != QImage(tmp.filePath("regions.png")));
        const auto params = dit::studio::read_result_parameters(tmp.filePath("regions.png"));
        QVERIFY(params);
        QCOMPARE(int(params->regions.size()), 2);
        QCOMPARE(params->regions[0].prompt, std::string("a green star: big"));  // split at the last ':'
        QCOMPARE(params->regions[1].prompt, std::string("a blue square"));
    }

    void bad_regions_are_refused() {
        QTemporaryDir tmp;
        const QString empty = write_mask(tmp, "empty.png", 96, 64, 40, 100);  // nothing above 127
        struct Case {
            QStringList extra;
            QString want;
        };
        const Case cases[] = {
            {{"--region", "no mask here"}, "expected PROMPT:MASK.png"},
            {{"--region", ":" + empty}, "expected PROMPT:MASK.png"},
            {{"--region"}, "--region needs a value"},
            {{"--region", "a star:" + tmp.filePath("missing.png")}, "cannot read region mask"},
            {{"--region", "a star:" + empty}, "region 0: mask is empty"},
            {{"--region", "a star:" + write_mask(tmp, "ok.png", 96, 64, 10, 255), "--region", "  :" + empty},
             "region 1: prompt is empty"},
        };
        for (const Case& c : cases) {
            const auto run = run_cli(base_args(tmp.filePath("x.png")) + c.extra);
            qInfo("%s -> %d: %s", qPrintable(c.extra.join(' ')), run.code, qPrintable(run.err.trimmed()));
            QVERIFY(run.code != 0);
            QVERIFY2(run.err.contains(c.want), qPrintable("expected '" + c.want + "' in: " + run.err));
        }
    }
};

QTEST_APPLESS_MAIN(TestCliRegion)
#include "test_cli_region.moc"
