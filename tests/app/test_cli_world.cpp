// dit-cli world and dit-cli pose-map end to end: the files a world folder promises exist, are
// valid and agree with each other; a seed reproduces a world byte for byte; bad arguments exit 2
// and bad input exits 1, each with a one-line reason.
#include <QFile>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include "studio/control/pose.h"
#include "studio/control/pose_renderer.h"
#include "tests/common/cli_runner.h"

namespace {

using dit::testing::kCli;
using dit::testing::run_cli;
using Run = dit::testing::CliRun;

QByteArray read(const QString& path) {
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

}  // namespace

class TestCliWorld : public QObject {
    Q_OBJECT

    QTemporaryDir tmp_;

private slots:
    void initTestCase() {
        QVERIFY(tmp_.isValid());
        QVERIFY2(QFile::exists(kCli), qPrintable(kCli + " is not built"));
    }

    void writes_a_world() {
        const QString dir = tmp_.filePath("w");
        const Run r = run_cli({"world", "--count", "5", "--out", dir, "--size", "64", "--seed", "3", "--people-fraction", "0.5", "--quiet"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const QStringList captions = QString::fromUtf8(read(dir + "/captions.txt")).split('\n', Qt::SkipEmptyParts);
        QCOMPARE(captions.size(), 5);
        QVERIFY(QFile::exists(dir + "/world.json"));
        for (int i = 0; i < 5; ++i) {
            const QString stem = dir + QString("/%1").arg(i, 6, 10, QChar('0'));
            const QImage img(stem + ".png"), edges(stem + "_edges.png"), pose(stem + "_pose.png");
            QVERIFY2(!img.isNull() && !edges.isNull() && !pose.isNull(), qPrintable(stem + ": missing or unreadable PNG"));
            QCOMPARE(img.size(), QSize(64, 64));
            QCOMPARE(edges.size(), QSize(64, 64));
            QCOMPARE(pose.size(), QSize(64, 64));
            QVERIFY(edges.isGrayscale());
            QJsonParseError err;
            const QJsonObject layout = QJsonDocument::fromJson(read(stem + ".json"), &err).object();
            QVERIFY2(err.error == QJsonParseError::NoError, qPrintable(stem + ".json: " + err.errorString()));
            QCOMPARE(layout["caption"].toString(), captions[i]);
            QCOMPARE(layout["index"].toInt(), i);
            QVERIFY(!layout["objects"].toArray().isEmpty());
            // The pose PNG is the OpenPose render of the layout's pose, black without a person.
            const dit::studio::Pose p = dit::studio::pose_from_json(QJsonDocument(layout["pose"].toObject()).toJson(), stem);
            QCOMPARE(p.people.size(), size_t(layout["person"].isNull() ? 0 : 1));
            QCOMPARE(pose.convertToFormat(QImage::Format_RGB888), dit::studio::render_pose_map(p, QSize(64, 64)));
            // Edges are not empty: every scene has at least one object.
            int lit = 0;
            for (int y = 0; y < 64; ++y)
                for (int x = 0; x < 64; ++x) lit += qGray(edges.pixel(x, y)) > 0;
            QVERIFY(lit > 10);
        }
        // The same seed, the same world, byte for byte; another seed, another world.
        const QString again = tmp_.filePath("w2");
        QCOMPARE(run_cli({"world", "--count", "5", "--out", again, "--size", "64", "--seed", "3", "--people-fraction", "0.5", "--quiet", "--jobs", "1"}).code, 0);
        for (const char* f : {"/captions.txt", "/000004.png", "/000004_edges.png", "/000004_pose.png", "/000004.json"})
            QVERIFY2(read(dir + f) == read(again + f), f);
        const QString other = tmp_.filePath("w3");
        QCOMPARE(run_cli({"world", "--count", "5", "--out", other, "--size", "64", "--seed", "4", "--quiet"}).code, 0);
        QVERIFY(read(dir + "/captions.txt") != read(other + "/captions.txt"));
    }

    void bad_arguments_exit_2() {
        const QString dir = tmp_.filePath("bad");
        const struct {
            QStringList args;
            const char* want;
        } cases[] = {
            {{"world", "--out", dir}, "--count is required"},
            {{"world", "--count", "5"}, "--out is required"},
            {{"world", "--count", "0", "--out", dir}, "--count must be at least 1"},
            {{"world", "--count", "x", "--out", dir}, "--count: expected an integer"},
            {{"world", "--count", "2", "--out", dir, "--size", "8"}, "--size must be 32..4096"},
            {{"world", "--count", "2", "--out", dir, "--people-fraction", "2"}, "--people-fraction must be in [0, 1]"},
            {{"world", "--count", "2", "--out", dir, "--colour", "red"}, "unknown option --colour"},
            {{"pose-map", "--out", dir + "/p.png"}, "--json is required"},
            {{"pose-map", "--json", "x.json", "--out", "p.png", "--width", "64"}, "--width and --height go together"},
        };
        for (const auto& c : cases) {
            const Run r = run_cli(c.args);
            qInfo("%s -> %d: %s", qPrintable(c.args.join(' ')), r.code, qPrintable(r.err.trimmed()));
            QCOMPARE(r.code, 2);
            QVERIFY2(r.err.contains(c.want), qPrintable(r.err));
        }
        QVERIFY(!QFile::exists(dir + "/captions.txt"));
    }

    void pose_map() {
        // A neck and right shoulder on a 512 canvas, rendered at 256: limb 0 in its shaded
        // colour at the scaled midpoint, joints in theirs.
        QStringList k;
        for (int j = 0; j < 18; ++j) k << (j == 1 ? "256, 200, 1" : j == 2 ? "156, 200, 0.9" : "0, 0, 0");
        const QString json = tmp_.filePath("pose.json"), png = tmp_.filePath("pose.png");
        QFile f(json);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(("{\"canvas_width\": 512, \"canvas_height\": 512, \"people\": [{\"pose_keypoints_2d\": [" + k.join(", ") + "]}]}").toUtf8());
        f.close();
        Run r = run_cli({"pose-map", "--json", json, "--out", png, "--width", "256", "--height", "256"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const QImage map(png);
        QCOMPARE(map.size(), QSize(256, 256));
        QCOMPARE(map.pixel(103, 100) & 0xffffff, 0x990000u);  // (153, 0, 0) = 60% of limb 0's red
        QCOMPARE(map.pixel(128, 100) & 0xffffff, 0xff5500u);  // the neck joint
        // The canvas size is the default output size.
        QCOMPARE(run_cli({"pose-map", "--json", json, "--out", png}).code, 0);
        QCOMPARE(QImage(png).size(), QSize(512, 512));
        // Broken input: exit 1 naming the field.
        k[4] = "700, 10, 1";
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write(("{\"canvas_width\": 512, \"canvas_height\": 512, \"people\": [{\"pose_keypoints_2d\": [" + k.join(", ") + "]}]}").toUtf8());
        f.close();
        r = run_cli({"pose-map", "--json", json, "--out", png});
        qInfo("%s", qPrintable(r.err.trimmed()));
        QCOMPARE(r.code, 1);
        QVERIFY(r.err.contains("people[0].pose_keypoints_2d[4] (right wrist): (700, 10) is outside the 512x512 canvas"));
        r = run_cli({"pose-map", "--json", tmp_.filePath("missing.json"), "--out", png});
        QCOMPARE(r.code, 1);
        QVERIFY(r.err.contains("missing.json: cannot read"));
    }
};

QTEST_APPLESS_MAIN(TestCliWorld)
#include "test_cli_world.moc"
