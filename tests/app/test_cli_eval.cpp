// dit-cli eval end to end: the ground-truth self-check scores >= 0.98 and ends in its figure; a
// tiny random model runs through the whole harness and scores low; --out writes the images and
// a report that agrees with the table; bad arguments exit 2 with a one-line reason.
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>
#include <filesystem>

#include "tests/common/cli_runner.h"

namespace {

const QString kFixtures = QStringLiteral(DIT_FIXTURES);
using dit::testing::kCli;
using dit::testing::run_cli;
using Run = dit::testing::CliRun;

// The figure: the last number on the table's last line ("overall attribute accuracy ... 0.993").
double figure_of(const QString& table, QString* last_line = nullptr) {
    const QStringList lines = table.split('\n', Qt::SkipEmptyParts);
    if (lines.isEmpty()) return -1;
    if (last_line) *last_line = lines.last();
    bool ok = false;
    const double v = lines.last().split(' ', Qt::SkipEmptyParts).last().toDouble(&ok);
    return ok ? v : -1;
}

}  // namespace

class TestCliEval : public QObject {
    Q_OBJECT

    QTemporaryDir tmp_;

private slots:
    void initTestCase() {
        QVERIFY(tmp_.isValid());
        QVERIFY2(QFile::exists(kCli), qPrintable(kCli + " is not built"));
    }

    void ground_truth_self_check() {
        const Run r = run_cli({"eval", "--ground-truth", "--cases", "20", "--quiet"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        std::printf("%s", qPrintable(r.out));
        QString last;
        const double figure = figure_of(r.out, &last);
        QVERIFY2(last.startsWith("overall attribute accuracy"), qPrintable(last));
        // Issue 4's self-check: the world's own images score >= 0.98.
        QVERIFY2(figure >= 0.98, qPrintable(r.out));
        for (const char* row : {"colour", "shape", "position", "background", "edge F1", "pose fidelity"})
            QVERIFY2(r.out.contains(row), row);
    }

    void tiny_random_model_runs_and_scores_low() {
        const QString out = tmp_.filePath("tiny");
        const Run r = run_cli({"eval", "--model", kFixtures + "/tiny-pixart-alpha", "--cases", "4", "--steps", "2",
                               "--size", "64", "--out", out, "--quiet"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        std::printf("%s", qPrintable(r.out));
        const double figure = figure_of(r.out);
        // Random weights follow no prompt: well below the 0.8 target (chance is ~0.1).
        QVERIFY2(figure >= 0 && figure < 0.5, qPrintable(r.out));
        QVERIFY2(r.out.contains(QRegularExpression("edges control, caption without positions +not available: the "
                                                   "model has no controlnet_edges adapter")),
                 qPrintable(r.out));
        QVERIFY2(r.out.contains("not available: the model has no controlnet_pose adapter"), qPrintable(r.out));
        // --out: every image and a report whose summary is the table's figure.
        for (int i = 0; i < 4; ++i)
            QVERIFY(QFile::exists(out + QString("/%1.png").arg(i, 6, 10, QChar('0'))));
        QFile f(out + "/report.json");
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonObject report = QJsonDocument::fromJson(f.readAll()).object();
        QCOMPARE(report["cases"].toArray().size(), 4);
        // Tolerance: the table prints 3 decimals.
        QVERIFY(std::abs(report["summary"].toObject()["overall"].toDouble() - figure) <= 0.0005);
    }

    // With controlnet_edges/ and controlnet_pose/ in the model folder, every case runs again under
    // each adapter, from its caption without positions, without and with the control, and those
    // rows carry numbers; --no-control skips them.
    void adapters_are_run_and_scored() {
        namespace fs = std::filesystem;
        const fs::path model = fs::path(tmp_.path().toStdString()) / "with-adapters";
        const QString control = kFixtures + "/controlnet/";
        fs::copy((kFixtures + "/tiny-pixart-alpha").toStdString(), model, fs::copy_options::recursive);
        fs::copy((control + "alpha_edges").toStdString(), model / "controlnet_edges", fs::copy_options::recursive);
        fs::copy((control + "alpha_pose").toStdString(), model / "controlnet_pose", fs::copy_options::recursive);
        const QString out = tmp_.filePath("adapters");
        // Only the cases with a person run under the pose adapter.
        const QStringList args{"eval", "--model", QString::fromStdString(model.string()), "--cases", "4", "--steps",
                               "2", "--size", "64", "--inpaint", "none", "--quiet"};
        const Run r = run_cli(args + QStringList{"--out", out});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        std::printf("%s", qPrintable(r.out));
        QVERIFY2(r.out.contains("edges control, caption without positions (4 cases):"), qPrintable(r.out));
        QVERIFY2(r.out.contains(QRegularExpression("pose control, caption without positions \\(\\d+ people\\):")),
                 qPrintable(r.out));
        for (const char* row : {"edge F1 without control", "edge F1 with control", "pose fidelity without control",
                                "pose fidelity with control"})
            QVERIFY2(r.out.contains(QRegularExpression(QString("  ") + row + " +[01]\\.\\d{3}")), row);
        QVERIFY2(r.out.contains("attributes right under the edges control"), qPrintable(r.out));
        QFile f(out + "/report.json");
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonObject report = QJsonDocument::fromJson(f.readAll()).object();
        const QJsonObject edges = report["summary"].toObject()["edge_control"].toObject();
        QCOMPARE(edges["cases"].toInt(), 4);
        QVERIFY(edges.contains("score") && edges.contains("score_without_control"));
        int people = 0;
        for (const QJsonValue& c : report["cases"].toArray()) {
            const QJsonObject runs = c.toObject()["control_unplaced"].toObject();
            QVERIFY2(runs["edges"].toObject().contains("with") && runs["edges"].toObject().contains("without"),
                     "every case has its edge runs");
            people += runs.contains("pose");
        }
        QCOMPARE(report["summary"].toObject()["pose_control"].toObject()["cases"].toInt(), people);

        const Run off = run_cli(args + QStringList{"--no-control"});
        QVERIFY2(off.code == 0, qPrintable(off.err));
        QVERIFY2(off.out.contains(QRegularExpression("edges control, caption without positions +not run \\(--no-control\\)")),
                 qPrintable(off.out));
    }

    void same_seed_same_table() {
        const QStringList args{"eval", "--model", kFixtures + "/tiny-pixart-alpha", "--cases", "2", "--steps", "1",
                               "--size", "32", "--quiet"};
        const Run a = run_cli(args), b = run_cli(args);
        QVERIFY2(a.code == 0, qPrintable(a.err));
        // The first line carries the run time; everything after it must repeat exactly.
        QCOMPARE(a.out.section('\n', 1), b.out.section('\n', 1));
    }

    void bad_arguments_exit_2() {
        const QList<QStringList> cases = {
            {"eval", "--cases", "0"},
            {"eval", "--cases", "many"},
            {"eval", "--size", "16"},
            {"eval", "--steps", "0"},
            {"eval", "--ground-truth", "--model", "x"},
            {"eval", "--bogus"},
            {"eval", "--edge-tolerance", "-1"},
        };
        for (const QStringList& args : cases) {
            const Run r = run_cli(args);
            QVERIFY2(r.code == 2, qPrintable(args.join(' ') + " -> " + QString::number(r.code) + ": " + r.err));
            QVERIFY2(r.err.trimmed().count('\n') == 0 && r.err.contains("dit-cli eval"), qPrintable(r.err));
        }
        // A missing model is a failed run (1), naming the folder.
        const Run r = run_cli({"eval", "--model", tmp_.filePath("nope"), "--cases", "1", "--steps", "1", "--size", "32", "--quiet"});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("nope"), qPrintable(r.err));
    }
};

QTEST_APPLESS_MAIN(TestCliEval)
#include "test_cli_eval.moc"
