// Engine::generate through its API on the tiny PixArt pipelines: callbacks (progress, a preview
// of the predicted x0 after every step), cancellation between steps and between blocks,
// reproducibility, and the fast backend against the reference backend over a whole run.
#include <QtTest>

#include <algorithm>
#include <atomic>
#include <cmath>

#include "engine/error.h"
#include "engine/pipeline/engine.h"
#include "tests/backends/pipeline_parity.h"

using namespace dit;

namespace {

Request tiny_request(const char* variant = "alpha") {
    Request r = kernels::parity::tiny_request(DIT_FIXTURES, variant);
    r.seed = 11;
    return r;
}

double max_diff(const Image& a, const Image& b) {
    if (a.rgb.size() != b.rgb.size()) return 1e9;
    double worst = 0;
    for (size_t i = 0; i < a.rgb.size(); ++i) worst = std::max(worst, std::abs(double(a.rgb[i]) - b.rgb[i]));
    return worst;
}

}  // namespace

class TestEngine : public QObject {
    Q_OBJECT

private slots:
    void progress_and_preview_every_step() {
        Engine engine;
        Callbacks cb;
        std::vector<Progress> progress;
        std::vector<Image> previews;
        cb.progress = [&](const Progress& p) { progress.push_back(p); };
        cb.preview = [&](const Image& img, const Progress&) { previews.push_back(img); };
        const Result r = engine.generate(tiny_request(), cb);
        QCOMPARE(int(progress.size()), 4);
        for (int i = 0; i < 4; ++i) {
            QCOMPARE(progress[i].step, i + 1);
            QCOMPARE(progress[i].steps, 4);
            QVERIFY(progress[i].seconds > 0 && (i == 0 || progress[i].seconds >= progress[i - 1].seconds));
        }
        QCOMPARE(int(previews.size()), 4);
        QCOMPARE(previews[0].width, 96 / 8);  // one preview pixel per latent pixel
        QCOMPARE(previews[0].height, 64 / 8);
        QVERIFY(previews[0].rgb != previews[3].rgb);  // the preview follows the denoising
        QCOMPARE(r.image.width, 96);
        QCOMPARE(r.image.height, 64);
        QVERIFY(r.parameters.find("\"seed\":11") != std::string::npos);
    }

    void cancel_between_steps() {
        Engine engine;
        Callbacks cb;
        int steps_done = 0;
        cb.progress = [&](const Progress& p) { steps_done = p.step; };
        cb.cancelled = [&] { return steps_done >= 2; };
        QVERIFY_THROWS_EXCEPTION(Cancelled, engine.generate(tiny_request(), cb));
        QCOMPARE(steps_done, 2);  // no step ran after the flag was raised
        // The engine is usable again after a cancel.
        Callbacks plain;
        QCOMPARE(engine.generate(tiny_request(), plain).image.width, 96);
    }

    void cancel_between_blocks() {
        // The flag is polled inside the transformer too: raise it after a few polls, before the
        // first step can finish, and no progress is ever reported.
        Engine engine;
        Callbacks cb;
        int polls = 0, steps_done = 0;
        cb.progress = [&](const Progress& p) { steps_done = p.step; };
        cb.cancelled = [&] { return ++polls > 5; };
        QVERIFY_THROWS_EXCEPTION(Cancelled, engine.generate(tiny_request(), cb));
        QCOMPARE(steps_done, 0);
    }

    void same_seed_same_image_and_seeds_differ() {
        Engine engine;
        Callbacks cb;
        Request a = tiny_request();
        const Image first = engine.generate(a, cb).image;
        const Image again = engine.generate(a, cb).image;
        QCOMPARE(max_diff(first, again), 0.0);
        a.seed = 12;
        QVERIFY(max_diff(first, engine.generate(a, cb).image) > 0);
    }

    void prompt_is_lowercased_and_stripped() {
        // As diffusers' PixArt pipelines do before tokenizing.
        Engine engine;
        Callbacks cb;
        Request a = tiny_request();
        Request b = a;
        b.prompt = "  A Red CIRCLE at the top left\n";
        b.negative_prompt = "BLURRY ";
        QCOMPARE(max_diff(engine.generate(a, cb).image, engine.generate(b, cb).image), 0.0);
    }

    void fast_matches_reference_backend_data() {
        QTest::addColumn<QString>("variant");
        QTest::addColumn<QString>("sampler");
        QTest::newRow("alpha dpm++2m") << "alpha" << "dpm++2m";
        QTest::newRow("sigma euler_a") << "sigma" << "euler_a";
        QTest::newRow("alpha lcm") << "alpha" << "lcm";
    }
    void fast_matches_reference_backend() {
        QFETCH(QString, variant);
        QFETCH(QString, sampler);
        Engine engine;
        Callbacks cb;
        Request r = tiny_request(variant.toUtf8().constData());
        r.sampler = sampler.toStdString();
        r.backend = "cpu-reference";
        const Image ref = engine.generate(r, cb).image;
        r.backend = "cpu";
        const Image fast = engine.generate(r, cb).image;
        // Tolerance: one 8-bit level. The backends differ by ~1e-6 in f32; only values on a
        // rounding boundary can land on the neighbouring level.
        QVERIFY2(max_diff(ref, fast) <= 1.0, qPrintable(QString::number(max_diff(ref, fast))));
    }

    void every_sampler_runs() {
        Engine engine;
        Callbacks cb;
        for (const char* s : {"dpm++2m", "ddim", "euler", "euler_a", "lcm"}) {
            Request r = tiny_request();
            r.sampler = s;
            r.steps = 3;
            const Image img = engine.generate(r, cb).image;
            QVERIFY2(img.width == 96 && !img.rgb.empty(), s);
        }
    }

    void errors_name_the_problem() {
        Engine engine;
        Callbacks cb;
        auto expect = [&](Request r, const std::string& what) {
            try {
                engine.generate(r, cb);
                QFAIL(("no error for: " + what).c_str());
            } catch (const Error& e) {
                QVERIFY2(std::string(e.what()).find(what) != std::string::npos, e.what());
            }
        };
        Request r = tiny_request();
        r.prompt = "";
        expect(r, "prompt is empty");
        r = tiny_request();
        r.height = 72;
        expect(r, "height 72 is not a multiple of 16");
        r = tiny_request();
        r.steps = 0;
        expect(r, "steps 0 is out of range");
        r = tiny_request();
        r.backend = "tpu";
        expect(r, "backend 'tpu' is not available (auto, cpu, cpu-reference");
        const auto names = available_backends();
        if (std::find(names.begin(), names.end(), "cuda") == names.end()) {  // no GPU here: say why
            r.backend = "cuda";
            expect(r, "backend 'cuda' cannot run here: ");
        }
        r = tiny_request();
        r.init_image = Image{32, 32, std::vector<uint8_t>(32 * 32 * 3, 128)};
        expect(r, "init image is 32x32 but the request is 96x64");
        r = tiny_request();
        r.init_image = Image{96, 64, std::vector<uint8_t>(96 * 64 * 3, 128)};
        r.strength = 0;
        expect(r, "strength must lie in (0, 1]");
    }
};

QTEST_APPLESS_MAIN(TestEngine)
#include "test_engine.moc"
