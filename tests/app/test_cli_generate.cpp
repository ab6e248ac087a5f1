// dit-cli generate end to end on tiny PixArt-α and PixArt-Σ pipelines in the diffusers layout
// (tests/fixtures/tiny-pixart-*, made by tools/reference/make_tiny_pipeline.py): T5 -> DiT steps
// -> VAE decode must match the PyTorch reference image made from the same noise file; broken
// input must fail with exit code 1 and a one-line reason naming what is wrong.
#include <QDir>
#include <QFile>
#include <QImage>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>
#include <filesystem>

#include "engine/io/npy.h"
#include "studio/result_png.h"
#include "tests/common/cli_runner.h"

namespace fs = std::filesystem;

using dit::testing::max_level_error;

namespace {

const QString kFixtures = QStringLiteral(DIT_FIXTURES);
using dit::testing::kCli;

// Every call here is `dit-cli generate ...`.
dit::testing::CliRun run_cli(const QStringList& args) {
    return dit::testing::run_cli(QStringList{"generate"} + args);
}


}  // namespace

class TestCliGenerate : public QObject {
    Q_OBJECT

    QTemporaryDir tmp_;

    QString out(const QString& name) const { return tmp_.filePath(name); }

    // A copy of a fixture pipeline the test may break.
    QString copy_pipeline(const QString& name) {
        const fs::path dst = fs::path(tmp_.path().toStdString()) / name.toStdString();
        fs::remove_all(dst);
        fs::copy((kFixtures + "/" + name).toStdString(), dst, fs::copy_options::recursive);
        return QString::fromStdString(dst.string());
    }

private slots:
    void initTestCase() {
        QVERIFY(tmp_.isValid());
        QVERIFY2(QFile::exists(kCli), qPrintable(kCli + " is not built"));
    }

    // Each case: pipeline, sampler, steps, cfg, (init image, strength); the reference image and
    // noise come from tools/reference/make_tiny_pipeline.py with the same settings.
    void matches_reference_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QStringList>("args");
        const QString p = kFixtures + "/pipeline/";
        QTest::newRow("alpha dpm++2m cfg") << "alpha_dpm" << QStringList{
            "--model", kFixtures + "/tiny-pixart-alpha", "--sampler", "dpm++2m", "--steps", "6",
            "--cfg", "4.5", "--noise-file", p + "alpha_noise.npy"};
        QTest::newRow("sigma euler_a cfg") << "sigma_euler_a" << QStringList{
            "--model", kFixtures + "/tiny-pixart-sigma", "--sampler", "euler_a", "--steps", "5",
            "--cfg", "3", "--seed", "7", "--noise-file", p + "sigma_noise.npy"};
        QTest::newRow("alpha img2img ddim") << "alpha_img2img" << QStringList{
            "--model", kFixtures + "/tiny-pixart-alpha", "--sampler", "ddim", "--steps", "8",
            "--cfg", "2", "--noise-file", p + "alpha_noise.npy", "--init", p + "init.png",
            "--strength", "0.6"};
    }
    void matches_reference() {
        QFETCH(QString, name);
        QFETCH(QStringList, args);
        const QString png = out(name + ".png");
        args << "--prompt" << "a red circle at the top left" << "--negative" << "blurry"
             << "--width" << "96" << "--height" << "64" << "--output" << png << "--quiet";
        const dit::testing::CliRun r = run_cli(args);
        QVERIFY2(r.code == 0, qPrintable(r.err));
        // Tolerance: 2 of 255 levels. The C++ and PyTorch pipelines agree to ~1e-5 in f32 before
        // quantisation; 8-bit rounding of values that straddle a level boundary adds one level.
        const double err = max_level_error(png, kFixtures + "/pipeline/" + name + "_expected.npy");
        qInfo("%s: max error %.3f levels", qPrintable(name), err);
        QVERIFY2(err <= 2.0, qPrintable(QString("max error %1 levels").arg(err)));
    }

    void png_carries_parameters() {
        const QString png = out("params.png");
        const dit::testing::CliRun r = run_cli({"--model", kFixtures + "/tiny-pixart-alpha", "--prompt", "a blue star",
                               "--width", "32", "--height", "32", "--steps", "2", "--seed", "99",
                               "--cfg", "3.5", "--output", png, "--quiet"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const auto req = dit::studio::read_result_parameters(png);
        QVERIFY(req.has_value());
        QCOMPARE(QString::fromStdString(req->prompt), QString("a blue star"));
        QCOMPARE(req->seed, uint64_t(99));
        QCOMPARE(req->steps, 2);
        QCOMPARE(req->cfg, 3.5f);
        QVERIFY(QImage(png).text("parameters").contains("Steps: 2, Sampler: dpm++2m, CFG scale: 3.5, Seed: 99"));
    }

    // Outpainting from the command line: the output is the picture plus the sides (rounded to 16),
    // the picture's pixels are kept exactly in every inpaint mode, the new area is generated.
    void outpaint_keeps_the_picture() {
        QImage picture(64, 48, QImage::Format_RGB888);
        for (int y = 0; y < 48; ++y)
            for (int x = 0; x < 64; ++x) picture.setPixelColor(x, y, QColor(x * 4, y * 5, 128));
        const QString in = out("outpaint-in.png");
        QVERIFY(picture.save(in));
        for (const char* mode : {"full", "crop", "lazy"}) {
            const QString png = out(QStringLiteral("outpaint-%1.png").arg(mode));
            const dit::testing::CliRun r = run_cli({"--model", kFixtures + "/tiny-pixart-alpha", "--prompt", "a wide field",
                                                    "--init", in, "--outpaint", "left=16,right=10", "--inpaint-mode", mode,
                                                    "--steps", "2", "--seed", "3", "--output", png, "--quiet"});
            QVERIFY2(r.code == 0, qPrintable(r.err));
            const QImage got = QImage(png).convertToFormat(QImage::Format_RGB888);
            QCOMPARE(got.size(), QSize(96, 48));  // 16 + 64 + 16: the right side rounded up from 10, the left as asked
            QCOMPARE(got.copy(16, 0, 64, 48), picture);
            int changed = 0;
            for (int y = 0; y < 48; ++y) changed += got.pixelColor(2, y) != picture.pixelColor(0, y);
            QVERIFY2(changed > 0, mode);  // the new area is generated, not the stretched edge
        }
        QCOMPARE(run_cli({"--model", kFixtures + "/tiny-pixart-alpha", "--prompt", "x", "--outpaint", "left=16"}).code, 2);
        const dit::testing::CliRun bad = run_cli({"--model", kFixtures + "/tiny-pixart-alpha", "--prompt", "x", "--init", in,
                                                  "--outpaint", "left=16,middle=3"});
        QVERIFY2(bad.code != 0 && bad.err.contains("middle=3"), qPrintable(bad.err));
        // Without --width/--height the model's own size: the tiny model's 64 px.
        const QString own = out("own-size.png");
        QCOMPARE(run_cli({"--model", kFixtures + "/tiny-pixart-alpha", "--prompt", "x", "--steps", "1", "--output", own,
                          "--quiet"}).code, 0);
        QCOMPARE(QImage(own).size(), QSize(64, 64));
    }

    // dit-cli upscale: the enlarged, refined picture; every bad field refused before anything is
    // written.
    void upscale_writes_the_enlarged_picture() {
        QImage picture(48, 32, QImage::Format_RGB888);
        picture.fill(QColor(200, 180, 40));
        const QString in = out("up-in.png"), png = out("up-out.png");
        QVERIFY(picture.save(in));
        const QStringList base{"upscale", "--model", kFixtures + "/tiny-pixart-alpha", "--input", in, "--prompt", "a field",
                               "--steps", "2", "--strength", "0.5", "--quiet"};
        const dit::testing::CliRun ok = dit::testing::run_cli(base + QStringList{"--scale", "2", "--output", png});
        QVERIFY2(ok.code == 0, qPrintable(ok.err));
        QCOMPARE(QImage(png).size(), QSize(96, 64));
        QVERIFY(dit::studio::read_result_parameters(png).has_value());
        for (const auto& [extra, says] : {std::pair{QStringList{"--scale", "0"}, "--scale"}, {QStringList{"--scale", "16"}, "--scale"},
                                          {QStringList{"--scale", "2", "--tile", "64", "--overlap", "64"}, "'overlap'"},
                                          {QStringList{"--scale", "2", "--tile", "8"}, "'tile'"},
                                          {QStringList{"--scale", "500"}, "--scale"}}) {
            const QString bad = out("up-bad.png");
            const dit::testing::CliRun r = dit::testing::run_cli(base + extra + QStringList{"--output", bad});
            QVERIFY2(r.code != 0 && r.err.contains(says), qPrintable(r.err));
            QVERIFY(!QFile::exists(bad));
        }
        QImage wide(3000, 16, QImage::Format_RGB888);
        wide.fill(Qt::white);
        QVERIFY(wide.save(out("wide.png")));
        const dit::testing::CliRun big = dit::testing::run_cli({"upscale", "--input", out("wide.png"), "--scale", "7", "--prompt", "x",
                                                          "--output", out("wide-out.png")});
        QVERIFY2(big.code == 2 && big.err.contains("8192"), qPrintable(big.err));  // 21000 px: refused at once
        QVERIFY(!QFile::exists(out("wide-out.png")));
    }

    // Before the run, stderr says what the model will not see and a size it was not made for.
    void warns_of_unknown_words_cut_prompts_and_far_sizes() {
        const QString model = kFixtures + "/tiny-pixart-alpha";
        const dit::testing::CliRun r = run_cli({"--model", model, "--prompt", QStringLiteral("a red circle near a жёлтый star"),
                                                "--steps", "1", "--width", "256", "--height", "256", "--quiet",
                                                "--output", out("warned.png")});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY2(r.err.contains(QStringLiteral("warning: prompt: the tokenizer has no piece for 'жёлтый'")), qPrintable(r.err));
        QVERIFY2(r.err.contains(QRegularExpression("warning: size: 256x256 is far from the \\d+ px the model was trained at")),
                 qPrintable(r.err));
        QString words;
        for (int i = 0; i < 150; ++i) words += QStringLiteral("red circle ");
        const dit::testing::CliRun cut = run_cli({"--model", model, "--prompt", words, "--steps", "1", "--quiet",
                                                  "--output", out("cut.png")});
        QVERIFY2(cut.code == 0, qPrintable(cut.err));
        QVERIFY2(cut.err.contains(QRegularExpression("warning: prompt: \\d+ tokens, the model reads 120; cut from '")),
                 qPrintable(cut.err));
        // A plain prompt at the model's size: not a word.
        const dit::testing::CliRun plain = run_cli({"--model", model, "--prompt", "a red circle", "--steps", "1", "--quiet",
                                                    "--output", out("plain.png")});
        QVERIFY2(plain.code == 0 && !plain.err.contains("warning"), qPrintable(plain.err));
    }

    // A Sana-Sprint folder from the command line: its own defaults (the native 64 px of the tiny
    // model, 2 steps of scm), Gemma's tokenizer for the warnings (no unknown words with byte
    // fallback; the cut past 299 tokens), the parameters in the PNG.
    void sana_sprint_runs_with_its_defaults() {
        const QString model = kFixtures + "/sana_pipeline/sprint";
        const QString png = out("sprint.png");
        const dit::testing::CliRun r = run_cli({"--model", model, "--prompt", QStringLiteral("a red cube near a жёлтый star"),
                                                "--seed", "4", "--output", png, "--quiet"});
        QVERIFY2(r.code == 0 && !r.err.contains("warning"), qPrintable(r.err));
        QCOMPARE(QImage(png).size(), QSize(64, 64));
        QVERIFY2(QImage(png).text("parameters").contains("Steps: 2, Sampler: scm"), qPrintable(QImage(png).text("parameters")));
        QString words;
        for (int i = 0; i < 200; ++i) words += QStringLiteral("red cube ");
        const dit::testing::CliRun cut = run_cli({"--model", model, "--prompt", words, "--quiet", "--output", out("sprint_cut.png")});
        QVERIFY2(cut.code == 0, qPrintable(cut.err));
        QVERIFY2(cut.err.contains(QRegularExpression("warning: prompt: \\d+ tokens, the model reads 299; cut from '")),
                 qPrintable(cut.err));
        const dit::testing::CliRun wrong = run_cli({"--model", model, "--prompt", "x", "--sampler", "dpm++2m", "--quiet",
                                                    "--output", out("never_sprint.png")});
        QVERIFY(wrong.code != 0 && wrong.err.contains("Sana-Sprint runs its own sampler, scm"));
        QVERIFY(!QFile::exists(out("never_sprint.png")));
    }

    void same_seed_same_image() {
        const QStringList base{"--model", kFixtures + "/tiny-pixart-alpha", "--prompt", "a ring",
                               "--width", "32", "--height", "32", "--steps", "3", "--quiet"};
        QCOMPARE(run_cli(base + QStringList{"--seed", "5", "--output", out("s5a.png")}).code, 0);
        QCOMPARE(run_cli(base + QStringList{"--seed", "5", "--output", out("s5b.png")}).code, 0);
        QCOMPARE(run_cli(base + QStringList{"--seed", "6", "--output", out("s6.png")}).code, 0);
        QCOMPARE(QImage(out("s5a.png")), QImage(out("s5b.png")));
        QVERIFY(QImage(out("s5a.png")) != QImage(out("s6.png")));
    }

    void cache_reports_skipped_steps() {
        const QStringList base{"--model", kFixtures + "/tiny-pixart-alpha", "--prompt", "a ring", "--width", "32",
                               "--height", "32", "--steps", "6", "--seed", "5"};
        const dit::testing::CliRun plain = run_cli(base + QStringList{"--output", out("c-off.png")});
        QCOMPARE(plain.code, 0);
        QVERIFY2(!plain.err.contains("step cache"), qPrintable(plain.err));
        const dit::testing::CliRun zero = run_cli(base + QStringList{"--cache", "teacache:0", "--output", out("c-0.png")});
        QVERIFY2(zero.code == 0 && zero.err.contains("0 of 6 steps from the step cache"), qPrintable(zero.err));
        QCOMPARE(QImage(out("c-0.png")), QImage(out("c-off.png")));
        const dit::testing::CliRun all = run_cli(base + QStringList{"--cache", "teacache:1e9", "--output", out("c-all.png")});
        QVERIFY2(all.code == 0 && all.err.contains("4 of 6 steps from the step cache"), qPrintable(all.err));
        const auto params = dit::studio::read_result_parameters(out("c-all.png"));
        QVERIFY(params.has_value());
        QCOMPARE(params->cache, std::string("teacache:1e9"));
    }

    void batch_writes_consecutive_seeds() {
        const QStringList base{"--model", kFixtures + "/tiny-pixart-alpha", "--prompt", "a ring",
                               "--width", "32", "--height", "32", "--steps", "3", "--quiet"};
        QCOMPARE(run_cli(base + QStringList{"--seed", "5", "--batch", "3", "--output", out("b.png")}).code, 0);
        QVERIFY(!QFile::exists(out("b.png")));
        for (int k = 1; k <= 3; ++k) {
            const QString path = out(QString("b-%1.png").arg(k));
            QVERIFY2(QFile::exists(path), qPrintable(path));
            const auto params = dit::studio::read_result_parameters(path);
            QVERIFY(params.has_value());
            QCOMPARE(quint64(params->seed), quint64(4 + k));  // 5, 6, 7
        }
        // Item 2 is seed 6's single run (within the batched GEMM's rounding: test_batch).
        QCOMPARE(run_cli(base + QStringList{"--seed", "6", "--output", out("b6.png")}).code, 0);
        const QImage single = QImage(out("b6.png")).convertToFormat(QImage::Format_RGB888);
        const QImage item = QImage(out("b-2.png")).convertToFormat(QImage::Format_RGB888);
        int worst = 0;
        for (int y = 0; y < 32; ++y)
            for (int x = 0; x < 96; ++x) worst = std::max(worst, std::abs(single.constScanLine(y)[x] - item.constScanLine(y)[x]));
        QVERIFY2(worst <= 2, qPrintable(QString::number(worst)));
        for (const char* n : {"0", "65"}) {
            const dit::testing::CliRun r = run_cli(base + QStringList{"--batch", n, "--output", out("never.png")});
            QVERIFY2(r.code == 2 && r.err.contains(QString("--batch %1 is out of range (1..64)").arg(n)), qPrintable(r.err));
        }
        QVERIFY(!QFile::exists(out("never.png")) && !QFile::exists(out("never-1.png")));
    }

    void broken_input_data() {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<int>("code");
        QTest::addColumn<QString>("message");
        const QString alpha = kFixtures + "/tiny-pixart-alpha";
        const QStringList ok{"--width", "32", "--height", "32", "--steps", "1"};
        QTest::newRow("empty prompt") << (QStringList{"--model", alpha, "--prompt", "  "} + ok) << 1
                                      << "prompt is empty";
        QTest::newRow("size not divisible") << QStringList{"--model", alpha, "--prompt", "x", "--width", "40",
                                                           "--height", "32"}
                                            << 1 << "width 40 is not a multiple of 16";
        QTest::newRow("no such model") << (QStringList{"--model", "/nonexistent/model", "--prompt", "x"} + ok)
                                       << 1 << "/nonexistent/model: model folder does not exist";
        QTest::newRow("unknown sampler") << (QStringList{"--model", alpha, "--prompt", "x", "--sampler", "plms"} + ok)
                                         << 1 << "plms";
        QTest::newRow("bad number") << QStringList{"--model", alpha, "--prompt", "x", "--steps", "ten"} << 2
                                    << "--steps: expected an integer, got 'ten'";
        QTest::newRow("unknown option") << QStringList{"--model", alpha, "--prompt", "x", "--stepz", "3"} << 2
                                        << "unknown option --stepz";
        QTest::newRow("negative cache threshold") << (QStringList{"--model", alpha, "--prompt", "x", "--cache", "teacache:-0.1"} + ok)
                                                  << 2 << "--cache: cache 'teacache:-0.1': the threshold must be >= 0";
        QTest::newRow("malformed cache") << (QStringList{"--model", alpha, "--prompt", "x", "--cache", "teacache:abc"} + ok)
                                         << 2 << "--cache: cache 'teacache:abc': the threshold 'abc' is not a finite number";
        QTest::newRow("cache with lazy inpainting")
            << (QStringList{"--model", alpha, "--prompt", "x", "--cache", "teacache:0.1", "--init", kFixtures + "/controlnet/edges.png",
                            "--mask", kFixtures + "/controlnet/edges.png", "--inpaint-mode", "lazy"} + ok)
            << 1 << "does not combine with inpaint mode lazy";
        QTest::newRow("noise of wrong shape") << (QStringList{"--model", alpha, "--prompt", "x", "--noise-file",
                                                              kFixtures + "/pipeline/wrong_noise.npy"} + ok)
                                              << 1 << "wrong_noise.npy: noise has shape";
    }
    void broken_input() {
        QFETCH(QStringList, args);
        QFETCH(int, code);
        QFETCH(QString, message);
        const dit::testing::CliRun r = run_cli(args + QStringList{"--output", out("never.png"), "--quiet"});
        QCOMPARE(r.code, code);
        QVERIFY2(r.err.contains(message), qPrintable(r.err));
        QVERIFY2(r.err.trimmed().count('\n') == 0, qPrintable("more than one line: " + r.err));
        // The message is the first line: no empty line before it (the progress line's newline is
        // only printed when a progress line was drawn).
        QVERIFY2(r.err.startsWith("dit-cli generate: "), qPrintable("does not start with the message: " + r.err));
        QVERIFY(!QFile::exists(out("never.png")));
    }

    void broken_model_folder_data() {
        QTest::addColumn<QString>("remove");
        QTest::addColumn<QString>("add");
        QTest::addColumn<QString>("message");
        QTest::newRow("missing subfolder") << "vae" << "" << "vae: component folder is missing";
        QTest::newRow("pickle weights") << "transformer/diffusion_pytorch_model.safetensors"
                                        << "transformer/diffusion_pytorch_model.bin" << "pickle";
        QTest::newRow("missing config") << "transformer/config.json" << "" << "config.json";
        QTest::newRow("missing tokenizer") << "tokenizer/spiece.model" << "" << "spiece.model";
    }
    void broken_model_folder() {
        QFETCH(QString, remove);
        QFETCH(QString, add);
        QFETCH(QString, message);
        const QString dir = copy_pipeline("tiny-pixart-alpha");
        fs::remove_all((dir + "/" + remove).toStdString());
        if (!add.isEmpty()) {
            QFile f(dir + "/" + add);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(QByteArray("\x80\x02}q\x00.", 6));  // a pickle stream's first bytes
        }
        const dit::testing::CliRun r = run_cli({"--model", dir, "--prompt", "x", "--width", "32", "--height", "32",
                               "--steps", "1", "--output", out("never.png"), "--quiet"});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains(message), qPrintable(r.err));
        QVERIFY2(r.err.startsWith("dit-cli generate: error: "), qPrintable("does not start with the message: " + r.err));
        QVERIFY(!QFile::exists(out("never.png")));
    }
};

QTEST_GUILESS_MAIN(TestCliGenerate)
#include "test_cli_generate.moc"
