// dit-cli generate --control end to end: an edge PNG and two composed controls against the
// PyTorch reference (tests/fixtures/controlnet, made by tools/reference/make_controlnet_fixture.py),
// an OpenPose JSON through the studio's pose renderer (the same image as its pose-map PNG), the
// controls in the PNG's parameters, and broken control inputs failing with one line naming the
// file or field. The model is a copy of tiny-pixart-alpha with the fixture adapters as its
// controlnet_edges/ and controlnet_pose/.
#include <QFile>
#include <QImage>
#include <QTemporaryDir>
#include <QtTest>
#include <filesystem>

#include "engine/io/npy.h"
#include "tests/common/cli_runner.h"

namespace fs = std::filesystem;

using dit::testing::max_level_error;

namespace {

const QString kFixtures = QStringLiteral(DIT_FIXTURES);
const QString kControl = kFixtures + "/controlnet/";

dit::testing::CliRun run_generate(const QStringList& args) {
    return dit::testing::run_cli(QStringList{"generate"} + args);
}


}  // namespace

class TestCliControl : public QObject {
    Q_OBJECT

    QTemporaryDir tmp_;
    QString model_;

    QString out(const QString& name) const { return tmp_.filePath(name); }
    // The fixture request of the reference images: 96 x 64, dpm++2m, 4 steps, cfg 4.5.
    QStringList request(const QString& png) const {
        return {"--model", model_, "--prompt", "a red circle at the top left", "--negative", "blurry",
                "--width", "96", "--height", "64", "--steps", "4", "--sampler", "dpm++2m", "--cfg", "4.5",
                "--noise-file", kFixtures + "/pipeline/alpha_noise.npy", "--output", png, "--quiet"};
    }

private slots:
    void initTestCase() {
        QVERIFY(tmp_.isValid());
        QVERIFY2(QFile::exists(dit::testing::kCli), qPrintable(dit::testing::kCli + " is not built"));
        const fs::path model = fs::path(tmp_.path().toStdString()) / "model";
        fs::copy((kFixtures + "/tiny-pixart-alpha").toStdString(), model, fs::copy_options::recursive);
        fs::copy((kControl + "alpha_edges").toStdString(), model / "controlnet_edges", fs::copy_options::recursive);
        fs::copy((kControl + "alpha_pose").toStdString(), model / "controlnet_pose", fs::copy_options::recursive);
        model_ = QString::fromStdString(model.string());
    }

    void matches_reference_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QStringList>("controls");
        QTest::newRow("edges PNG") << "alpha_control" << QStringList{"--control", "edges:" + kControl + "edges.png"};
        QTest::newRow("edges + pose, weights and windows")
            << "alpha_control_two"
            << QStringList{"--control", "edges:" + kControl + "edges.png:0.8:0:0.5", "--control=pose:" + kControl +
                                                                                       "pose.png:1.2:0.25:1"};
    }
    void matches_reference() {
        QFETCH(QString, name);
        QFETCH(QStringList, controls);
        const QString png = out(name + ".png");
        const dit::testing::CliRun r = run_generate(request(png) + controls);
        QVERIFY2(r.code == 0, qPrintable(r.err));
        // Tolerance: 2 of 255 levels, as tests/app/test_cli_generate; without the controls the
        // image is more than 200 levels away somewhere.
        const double err = max_level_error(png, kControl + name + "_expected.npy");
        qInfo("%s: max error %.3f levels", qPrintable(name), err);
        QVERIFY2(err <= 2.0, qPrintable(QString("max error %1 levels").arg(err)));
        QVERIFY(QImage(png).text("dit-studio").contains("\"controls\":[{"));  // the JSON chunk
    }

    // An OpenPose JSON is drawn by the studio's renderer at the output size: the same image as
    // the pose-map command's PNG given as a map.
    void pose_json_round_trip() {
        const QString json = kFixtures + "/pose/two_people.json";
        const QString map = out("two_people_map.png");
        const dit::testing::CliRun m = dit::testing::run_cli(
            {"pose-map", "--json", json, "--out", map, "--width", "96", "--height", "64"});
        QVERIFY2(m.code == 0, qPrintable(m.err));
        const dit::testing::CliRun a = run_generate(request(out("from_json.png")) + QStringList{"--control", "pose:" + json});
        QVERIFY2(a.code == 0, qPrintable(a.err));
        const dit::testing::CliRun b = run_generate(request(out("from_map.png")) + QStringList{"--control", "pose:" + map});
        QVERIFY2(b.code == 0, qPrintable(b.err));
        const dit::testing::CliRun c = run_generate(request(out("plain.png")));
        QVERIFY2(c.code == 0, qPrintable(c.err));
        QCOMPARE(QImage(out("from_json.png")), QImage(out("from_map.png")));
        QVERIFY(QImage(out("from_json.png")) != QImage(out("plain.png")));
        // Weight 0 is the plain image to the bit (the branch never runs).
        const dit::testing::CliRun z =
            run_generate(request(out("weight0.png")) + QStringList{"--control", "pose:" + json + ":0"});
        QVERIFY2(z.code == 0, qPrintable(z.err));
        QCOMPARE(QImage(out("weight0.png")), QImage(out("plain.png")));
    }

    void broken_control_data() {
        QTest::addColumn<QString>("spec");
        QTest::addColumn<int>("code");
        QTest::addColumn<QString>("message");
        QTest::newRow("wrong size") << "edges:" + kFixtures + "/pose/two_people_openpose.png" << 1
                                    << "two_people_openpose.png: control map is 512x512 but the output is 96x64";
        QTest::newRow("missing file") << "edges:/nonexistent/edges.png" << 1
                                      << "/nonexistent/edges.png: control map file does not exist";
        QTest::newRow("unreadable file") << "edges:" + kFixtures + "/controlnet/delta/config.json" << 1
                                         << "config.json: cannot read control map";
        QTest::newRow("keypoints out of range") << "pose:@OUT_OF_RANGE@" << 1 << "out_of_range.json: people[0]";
        QTest::newRow("missing adapter") << "depth:" + kControl + "edges.png" << 1
                                         << "control 1 (depth): " ;
        QTest::newRow("malformed spec") << "edges" << 2 << "expected TYPE:FILE[:weight[:start:end]]";
        QTest::newRow("bad weight") << "edges:" + kControl + "edges.png:strong" << 2 << "weight 'strong' is not a number";
        QTest::newRow("bad window") << "edges:" + kControl + "edges.png:1:0.9:0.1" << 1
                                    << "fields 'start' and 'end' must satisfy";
    }
    void broken_control() {
        QFETCH(QString, spec);
        QFETCH(int, code);
        QFETCH(QString, message);
        if (spec.contains("@OUT_OF_RANGE@")) {
            // One person whose neck lies right of the 96-pixel canvas.
            const QString path = out("out_of_range.json");
            QFile f(path);
            QVERIFY(f.open(QIODevice::WriteOnly));
            QByteArray points;
            for (int i = 0; i < 18; ++i) points += QByteArray(i ? ", " : "") + (i == 1 ? "120, 10, 1" : "10, 10, 1");
            f.write("{\"canvas_width\": 96, \"canvas_height\": 64, \"people\": [{\"pose_keypoints_2d\": [" + points +
                    "]}]}");
            f.close();
            spec.replace("@OUT_OF_RANGE@", path);
        }
        const QString png = out("never.png");
        const dit::testing::CliRun r = run_generate(request(png) + QStringList{"--control", spec});
        QCOMPARE(r.code, code);
        QVERIFY2(r.err.contains(message), qPrintable(r.err));
        QVERIFY2(r.err.trimmed().count('\n') == 0, qPrintable("more than one line: " + r.err));
        QVERIFY(!QFile::exists(png));
    }
};

QTEST_GUILESS_MAIN(TestCliControl)
#include "test_cli_control.moc"
