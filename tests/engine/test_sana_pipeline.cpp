// The three Sana pipelines end to end through Engine::generate, against
// tools/reference/sana_pipeline.py on the tiny folders of make_sana_pipeline_fixture.py (Gemma-2,
// the Sana transformer, DC-AE, the scheduler), 80x48 (non-square), seed 7; then the requests the
// Sana pipelines refuse, each by name.
#include <QtTest>

#include <filesystem>

#include "engine/error.h"
#include "engine/io/npy.h"
#include "engine/pipeline/engine.h"
#include "engine/tensor.h"
#include "tests/common/test_helpers.h"

using namespace dit;
using dit::testing::max_level_error;
namespace fs = std::filesystem;

namespace {

const fs::path kDir = fs::path(DIT_FIXTURES) / "sana_pipeline";

Request sana_request(const std::string& folder, int steps, const std::string& sampler) {
    Request r;
    r.model_dir = kDir / folder;
    r.prompt = "A small red cube on a wooden table";
    r.width = 80;
    r.height = 48;
    r.steps = steps;
    r.sampler = sampler;
    r.cfg = 4.5f;
    r.seed = 7;
    return r;
}

ControlInput edges(float weight) {
    ControlInput c;
    c.type = "edges";
    c.image = dit::testing::read_png((kDir / "control.png").string());
    c.weight = weight;
    return c;
}

}  // namespace

class TestSanaPipeline : public QObject {
    Q_OBJECT

private slots:
    void matches_reference_data() {
        QTest::addColumn<QString>("expected");
        QTest::addColumn<QString>("folder");
        QTest::addColumn<int>("steps");
        QTest::addColumn<QString>("sampler");
        QTest::newRow("Sana, 20 steps dpm++2m (flow sigmas, shift 3), cfg 4.5") << "sana_dpm20" << "sana" << 20 << "dpm++2m";
        QTest::newRow("Sana, 8 steps flow_euler") << "sana_flow_euler8" << "sana" << 8 << "flow_euler";
        QTest::newRow("Sana-Sprint, 1 step") << "sprint_1" << "sprint" << 1 << "scm";
        QTest::newRow("Sana-Sprint, 2 steps (intermediate time 1.3)") << "sprint_2" << "sprint" << 2 << "scm";
        QTest::newRow("Sana-Sprint, 4 steps") << "sprint_4" << "sprint" << 4 << "scm";
        QTest::newRow("Sana ControlNet, edges at 0.7, 8 steps") << "controlnet_dpm8" << "controlnet" << 8 << "dpm++2m";
    }
    void matches_reference() {
        QFETCH(QString, expected);
        QFETCH(QString, folder);
        QFETCH(int, steps);
        QFETCH(QString, sampler);
        Request r = sana_request(folder.toStdString(), steps, sampler.toStdString());
        if (folder == "controlnet") r.controls = {edges(0.7f)};
        Engine engine;
        int previews = 0, last_step = 0;
        Callbacks cb;
        cb.preview = [&](const Image& img, const Progress&) {
            previews += img.width == 80 / 8 && img.height == 48 / 8;
        };
        cb.progress = [&](const Progress& p) { last_step = p.step; };
        const Result res = engine.generate(r, cb);
        const Tensor want = read_npy(kDir / (expected.toStdString() + ".npy"));
        // Tolerance: 2 of 255 levels, as for PixArt (float32 against the float64 reference, then
        // 8-bit rounding). A wrong timestep scaling, guidance, step or residual moves the
        // image by tens of levels.
        const double err = max_level_error(res.image, want);
        qInfo("%s: max error %.3f levels", qPrintable(expected), err);
        QVERIFY2(err <= 2.0, qPrintable(QString("max error %1 levels").arg(err)));
        QCOMPARE(previews, steps);
        QCOMPARE(last_step, steps);
    }

    void control_weight_zero_and_pruning_change_the_image() {
        // Weight 0 never runs the branch (the plain Sana image of the same folder); pruning every
        // block leaves no residual at all; each differs from the controlled image.
        Engine engine;
        Callbacks cb;
        Request r = sana_request("controlnet", 8, "dpm++2m");
        r.controls = {edges(0.7f)};
        const Image controlled = engine.generate(r, cb).image;
        r.controls = {edges(0.0f)};
        const Image off = engine.generate(r, cb).image;
        r.controls = {edges(0.7f)};
        r.controls[0].skip_blocks = {0, 1};
        const Image pruned = engine.generate(r, cb).image;
        QVERIFY(off.rgb != controlled.rgb);
        QCOMPARE(pruned.rgb, off.rgb);
        r.controls[0].skip_blocks = {1};  // residual 1 follows no block of a 2-block base: no effect
        QCOMPARE(engine.generate(r, cb).image.rgb, controlled.rgb);
    }

    void batch_items_equal_single_runs() {
        Engine engine;
        Callbacks cb;
        Request r = sana_request("sprint", 2, "scm");
        const auto batch = engine.generate_batch(r, 2, cb);
        QCOMPARE(int(batch.size()), 2);
        r.seed = 8;
        QCOMPARE(batch[1].image.rgb, engine.generate(r, cb).image.rgb);
    }

    void inpainting_keeps_the_outside_and_sprint_refuses_img2img() {
        // Full and crop inpainting on Sana: outside the mask the init image's pixels, bit for bit;
        // inside, a new picture. Sprint's SCM is text-to-image only.
        Engine engine;
        Callbacks cb;
        Request r = sana_request("sana", 6, "dpm++2m");
        const Image init = dit::testing::read_png((kDir / "control.png").string());
        r.init_image = init;
        r.strength = 1.0f;
        Mask m{80, 48, std::vector<uint8_t>(80 * 48, 0)};
        for (int y = 8; y < 40; ++y)
            for (int x = 24; x < 56; ++x) m.value[size_t(y * 80 + x)] = 255;
        r.mask = m;
        for (const char* mode : {"full", "crop"}) {
            r.inpaint_mode = mode;
            const Image out = engine.generate(r, cb).image;
            int changed = 0;
            for (size_t p = 0; p < m.value.size(); ++p)
                for (int c = 0; c < 3; ++c) {
                    if (m.value[p] == 0) QCOMPARE(out.rgb[p * 3 + c], init.rgb[p * 3 + c]);
                    else changed += out.rgb[p * 3 + c] != init.rgb[p * 3 + c];
                }
            QVERIFY2(changed > 1000, mode);
        }
        r = sana_request("sana", 6, "dpm++2m");
        r.init_image = init;
        r.strength = 0.5f;
        QCOMPARE(engine.generate(r, cb).image.width, 80);  // img2img runs the schedule's tail
        r = sana_request("sprint", 2, "scm");
        r.init_image = init;
        r.strength = 0.5f;
        EXPECT_ERROR(engine.generate(r, cb), "text-to-image only");
    }

    void refused_requests_say_why() {
        Engine engine;
        Callbacks cb;
        Request r = sana_request("sprint", 2, "dpm++2m");
        EXPECT_ERROR(engine.generate(r, cb), "Sana-Sprint runs its own sampler, scm");
        r = sana_request("sana", 4, "scm");
        EXPECT_ERROR(engine.generate(r, cb), "not supported by the scm sampler");
        r = sana_request("sana", 4, "dpm++2m");
        r.width = 84;
        EXPECT_ERROR(engine.generate(r, cb), "width 84 is not a multiple of 8");
        r = sana_request("sana", 4, "dpm++2m");
        r.regions.push_back({"a cat", Mask{80, 48, std::vector<uint8_t>(80 * 48, 255)}});
        EXPECT_ERROR(engine.generate(r, cb), "regional prompts run on PixArt models only");
        r = sana_request("sana", 4, "dpm++2m");
        r.controls = {edges(1.0f)};
        EXPECT_ERROR(engine.generate(r, cb), "has no ControlNet");
        r = sana_request("sana", 4, "dpm++2m");
        r.cache = "teacache:0.1";
        EXPECT_ERROR(engine.generate(r, cb), "step caching (--cache teacache:0.1) runs on PixArt models only");
        r = sana_request("sana", 4, "dpm++2m");
        r.attention = "grouped:2";
        EXPECT_ERROR(engine.generate(r, cb), "grouped attention (--attention grouped:2) runs on PixArt models only");
        r = sana_request("sana", 4, "dpm++2m");
        r.component_files.text_encoder = kDir / "sana" / "model_index.json";
        EXPECT_ERROR(engine.generate(r, cb), "--text-encoder replaces T5's weights");
    }
};

QTEST_GUILESS_MAIN(TestSanaPipeline)
#include "test_sana_pipeline.moc"
