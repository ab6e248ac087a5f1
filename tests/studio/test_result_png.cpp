// Result PNGs carry their parameters: a round trip restores the request; a PNG without the chunk
// gives nothing; a broken chunk or a file that is not an image gives an error naming the file
// (and the field), never a crash.
#include <QFile>
#include <QImage>
#include <QTemporaryDir>
#include <QtTest>

#include "engine/error.h"
#include "studio/result_png.h"

using namespace dit;

class TestResultPng : public QObject {
    Q_OBJECT

    QTemporaryDir tmp_;

    QString png_with_chunk(const QString& name, const QString& chunk) {
        QImage img(4, 4, QImage::Format_RGB888);
        img.fill(Qt::red);
        if (!chunk.isNull()) img.setText("dit-studio", chunk);
        const QString path = tmp_.filePath(name);
        img.save(path, "png");
        return path;
    }

    static QString error_of(const QString& path) {
        try {
            studio::read_result_parameters(path);
        } catch (const Error& e) {
            return QString::fromStdString(e.what());
        }
        return "<no error>";
    }

private slots:
    void round_trip() {
        Request r;
        r.prompt = "a red circle";
        r.negative_prompt = "blurry";
        r.width = 96;
        r.height = 64;
        r.steps = 7;
        r.sampler = "euler_a";
        r.cfg = 3.5f;
        r.seed = 1234567890123ull;
        const QString path = tmp_.filePath("r.png");
        studio::save_result_png(path, Image{2, 2, std::vector<uint8_t>(12, 200)}, r);
        const auto back = studio::read_result_parameters(path);
        QVERIFY(back.has_value());
        QCOMPARE(QString::fromStdString(back->prompt), QString("a red circle"));
        QCOMPARE(QString::fromStdString(back->negative_prompt), QString("blurry"));
        QCOMPARE(back->width, 96);
        QCOMPARE(back->steps, 7);
        QCOMPARE(QString::fromStdString(back->sampler), QString("euler_a"));
        QCOMPARE(back->cfg, 3.5f);
        QCOMPARE(back->seed, 1234567890123ull);
        QVERIFY(QImage(path).text("parameters").startsWith("a red circle\nNegative prompt: blurry\nSteps: 7"));
    }

    void png_without_parameters_gives_nothing() {
        QVERIFY(!studio::read_result_parameters(png_with_chunk("plain.png", QString())).has_value());
    }

    void broken_chunk_names_the_file_and_field() {
        const QString bad_json = png_with_chunk("bad.png", "{\"prompt\": ");
        QVERIFY2(error_of(bad_json).startsWith(bad_json + ": generation parameters: not valid JSON"),
                 qPrintable(error_of(bad_json)));
        const QString not_object = png_with_chunk("array.png", "[1, 2]");
        QVERIFY(error_of(not_object).contains("expected a JSON object"));
        const QString wrong_type = png_with_chunk("type.png", "{\"steps\": \"many\"}");
        QVERIFY2(error_of(wrong_type).contains("field 'steps' has the wrong type"), qPrintable(error_of(wrong_type)));
        // Numbers the field's type cannot hold (found by fuzz/fuzz_png_parameters; converting
        // them was undefined behaviour).
        const QString huge = png_with_chunk("huge.png", "{\"steps\": 2222222222222222222222222}");
        QVERIFY2(error_of(huge).contains("field 'steps': 2.2222222222222222e+24 is out of range"), qPrintable(error_of(huge)));
        const QString negative_seed = png_with_chunk("seed.png", "{\"seed\": -3}");
        QVERIFY2(error_of(negative_seed).contains("field 'seed': -3 is out of range"), qPrintable(error_of(negative_seed)));
        const QString fraction = png_with_chunk("fraction.png", "{\"width\": 128.5}");
        QVERIFY2(error_of(fraction).contains("field 'width' should be an integer"), qPrintable(error_of(fraction)));
        const QString huge_cfg = png_with_chunk("cfg.png", "{\"cfg\": 1e300}");
        QVERIFY2(error_of(huge_cfg).contains("field 'cfg': 1e+300 is out of range"), qPrintable(error_of(huge_cfg)));
        const QString huge_weight = png_with_chunk("weight.png", "{\"controls\": [{\"type\": \"edges\", \"weight\": 1e60}]}");
        QVERIFY2(error_of(huge_weight).contains("field 'controls[].weight': 1e+60 is out of range"),
                 qPrintable(error_of(huge_weight)));
    }

    void not_an_image() {
        const QString path = tmp_.filePath("text.png");
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("this is not a png");
        f.close();
        QVERIFY2(error_of(path).startsWith(path + ": not a readable image"), qPrintable(error_of(path)));
        QVERIFY(error_of(tmp_.filePath("absent.png")).contains("absent.png"));
    }

    void failed_save_names_the_path() {
        const QString path = tmp_.filePath("no_such_dir/r.png");
        try {
            studio::save_result_png(path, Image{1, 1, {1, 2, 3}}, Request{});
            QFAIL("no error");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).startsWith(path + ": cannot write"), e.what());
        }
    }
};

QTEST_GUILESS_MAIN(TestResultPng)
#include "test_result_png.moc"
