// Step caching (engine/models/step_cache, Request::cache) on the tiny PixArt pipelines: off and
// threshold 0 are the plain run bit for bit, a skipped forward adds the last residual of the
// stack, a positive threshold skips steps and says how many, controls force the stack to run
// when they start or stop, batches stay their single runs, lazy inpainting and broken settings
// are refused by name.
#include <QtTest>

#include <cmath>

#include "engine/error.h"
#include "engine/models/pixart/pixart_transformer.h"
#include "engine/models/step_cache.h"
#include "engine/pipeline/engine.h"
#include "engine/pipeline/parameters.h"
#include "tests/backends/pipeline_parity.h"
#include "tests/common/random_data.h"
#include "tests/common/test_helpers.h"

using namespace dit;

namespace {

Request tiny_request(int steps = 4) {
    Request r = kernels::parity::tiny_request(DIT_FIXTURES, "alpha");
    r.seed = 11;
    r.steps = steps;
    return r;
}

Result generate(const Request& r) {
    Engine engine;
    Callbacks cb;
    return engine.generate(r, cb);
}

double max_diff(const Tensor& a, const Tensor& b) {
    double worst = a.shape() == b.shape() ? 0 : 1e9;
    for (int64_t i = 0; worst < 1e9 && i < a.numel(); ++i) worst = std::max(worst, std::abs(double(a[i]) - b[i]));
    return worst;
}

}  // namespace

class TestStepCache : public QObject {
    Q_OBJECT

private slots:
    void settings_parse() {
        QVERIFY(!StepCacheSetting::parse("off").on);
        const StepCacheSetting zero = StepCacheSetting::parse("teacache:0");
        QVERIFY(zero.on);
        QCOMPARE(zero.threshold, 0.0f);
        QCOMPARE(StepCacheSetting::parse("teacache:0.25").threshold, 0.25f);
    }

    void broken_settings_are_refused_data() {
        QTest::addColumn<QString>("setting");
        QTest::addColumn<QString>("want");
        QTest::newRow("negative") << "teacache:-0.1" << "the threshold must be >= 0";
        QTest::newRow("empty") << "teacache:" << "is not a finite number";
        QTest::newRow("word") << "teacache:fast" << "'fast' is not a finite number";
        QTest::newRow("trailing") << "teacache:0.1x" << "is not a finite number";
        QTest::newRow("infinite") << "teacache:1e99" << "is not a finite number";
        QTest::newRow("nan") << "teacache:nan" << "is not a finite number";
        QTest::newRow("method") << "easycache:0.1" << "is not a step-cache setting";
        QTest::newRow("blank") << "" << "is not a step-cache setting";
    }
    void broken_settings_are_refused() {
        QFETCH(QString, setting);
        QFETCH(QString, want);
        EXPECT_ERROR(StepCacheSetting::parse(setting.toStdString()), want.toStdString());
        Request r = tiny_request();
        r.cache = setting.toStdString();
        EXPECT_ERROR(generate(r), "cache '" + setting.toStdString() + "'");
    }

    void off_and_threshold_zero_are_the_plain_run() {
        Request r = tiny_request(6);
        const Result plain = generate(r);
        QCOMPARE(plain.skipped_steps, 0);
        QVERIFY(plain.parameters.find("cache") == std::string::npos);  // off: today's parameters
        r.cache = "teacache:0";
        const Result zero = generate(r);
        QCOMPARE(zero.skipped_steps, 0);
        QVERIFY(zero.image.rgb == plain.image.rgb);
    }

    void skipped_forward_adds_the_last_residual() {
        // Transformer level: the same latent at two timesteps. The first forward runs the stack;
        // the second, under a threshold no change reaches, reuses its residual, so it equals a
        // forward whose stack output is (this step's input + the first step's residual).
        kernels::Backend& ops = kernels::fast();
        const auto model = PixArtTransformer2DModel::load(std::filesystem::path(DIT_FIXTURES) / "tiny-pixart-alpha" /
                                                          "transformer", ops);
        const int64_t B = 2, L = 5, H = 8, W = 12;
        Tensor embeds({B, L, 32});
        const auto e = dit::testing::random_vec(size_t(embeds.numel()), 3);
        std::copy(e.begin(), e.end(), embeds.data());
        const auto prompt = model->encode_prompt(embeds, std::vector<int32_t>(size_t(B * L), 1), ops);
        Tensor latent({B, 4, H, W});
        const auto l = dit::testing::random_vec(size_t(latent.numel()), 4);
        std::copy(l.begin(), l.end(), latent.data());

        auto forward = [&](float t, StepCache* cache) {
            ForwardExtras extras;
            extras.step_cache = cache;
            return model->forward(latent, {t, t}, prompt, 64, 96, ops, nullptr, &extras);
        };
        StepCache cache(1e30f);
        cache.begin_step(0, 3);
        const Tensor first = forward(500, &cache);
        QCOMPARE(max_diff(first, forward(500, nullptr)), 0.0);  // a run of the stack is the plain forward
        cache.begin_step(1, 3);
        const Tensor reused = forward(480, &cache);
        QCOMPARE(cache.skipped(), 1);
        // The same input and the same residual: only the final layer's timestep differs, so the
        // result lies near the first step's and away from a plain forward at 480.
        const Tensor plain480 = forward(480, nullptr);
        QVERIFY(max_diff(reused, plain480) > 0);
        cache.begin_step(2, 3);  // the last step always runs the stack
        QCOMPARE(max_diff(forward(480, &cache), plain480), 0.0);
        QCOMPARE(cache.skipped(), 1);

        // At timestep 500 again, the reused residual gives the first forward's output up to the
        // rounding of (input + (output - input)).
        StepCache again(1e30f);
        again.begin_step(0, 3);
        forward(500, &again);
        again.begin_step(1, 3);
        const Tensor same = forward(500, &again);
        QCOMPARE(again.skipped(), 1);
        QVERIFY2(max_diff(same, first) < 1e-5, qPrintable(QString::number(max_diff(same, first))));
    }

    void positive_threshold_skips_steps_and_reports_them() {
        Request r = tiny_request(10);
        const Result plain = generate(r);
        r.cache = "teacache:1e9";  // every step the rule allows: all but the first and the last
        const Result all = generate(r);
        QCOMPARE(all.skipped_steps, 8);
        QVERIFY(all.image.rgb != plain.image.rgb);
        QVERIFY(all.parameters.find("\"cache\":\"teacache:1e9\"") != std::string::npos);
        QCOMPARE(parameters_from_json(all.parameters).cache, r.cache);
        r.cache = "teacache:0.3";
        const Result some = generate(r);
        qInfo("teacache:0.3 skipped %d of 10 steps", some.skipped_steps);
        QVERIFY(some.skipped_steps > 0 && some.skipped_steps < 8);
    }

    void controls_starting_or_stopping_run_the_stack() {
        // Control residuals are added inside the stack; when a control stops acting (end 0.5 of
        // 10 steps: it acts in steps 0..4), step 5 runs the stack even under a huge threshold.
        Request r = tiny_request(10);
        ControlInput c;
        c.type = "edges";
        c.adapter_dir = std::filesystem::path(DIT_FIXTURES) / "controlnet" / "alpha_edges";
        c.image = kernels::parity::edge_strokes(96, 64);
        c.end = 0.5f;
        r.controls = {c};
        r.cache = "teacache:1e9";
        QCOMPARE(generate(r).skipped_steps, 7);  // 1..4 and 6..8
    }

    void regions_and_full_and_crop_inpainting_run_with_it() {
        Request r = tiny_request(8);
        r.cache = "teacache:1e9";
        r.regions = {{"a blue square", kernels::parity::right_half(96, 64)}};
        QCOMPARE(generate(r).skipped_steps, 6);
        r.regions.clear();
        Request plain = tiny_request(8);
        const Image init = generate(plain).image;
        r.init_image = init;
        r.mask = kernels::parity::right_half(96, 64);
        for (const char* mode : {"full", "crop"}) {
            r.inpaint_mode = mode;
            const Result res = generate(r);
            QVERIFY(res.skipped_steps > 0);
            // Outside the mask the pixels are the input's, as without the cache.
            for (int y = 0; y < 64; ++y)
                for (int x = 0; x < 40; ++x)
                    for (int k = 0; k < 3; ++k) {
                        const size_t i = (size_t(y) * 96 + x) * 3 + k;
                        QCOMPARE(res.image.rgb[i], init.rgb[i]);
                    }
        }
    }

    void lazy_inpainting_is_refused() {
        Request r = tiny_request();
        r.init_image = generate(r).image;
        r.mask = kernels::parity::right_half(96, 64);
        r.inpaint_mode = "lazy";
        r.cache = "teacache:0.1";
        EXPECT_ERROR(generate(r), "cache 'teacache:0.1' does not combine with inpaint mode lazy");
    }

    void batch_items_are_their_single_runs() {
        Request r = tiny_request(6);
        r.cache = "teacache:0.3";
        Engine engine;
        Callbacks cb;
        const std::vector<Result> batch = engine.generate_batch(r, 2, cb);
        for (int k = 0; k < 2; ++k) {
            Request one = r;
            one.seed = r.seed + uint64_t(k);
            const Result single = generate(one);
            QVERIFY(batch[size_t(k)].image.rgb == single.image.rgb);
            QCOMPARE(batch[size_t(k)].skipped_steps, single.skipped_steps);
        }
    }
};

QTEST_APPLESS_MAIN(TestStepCache)
#include "test_step_cache.moc"
