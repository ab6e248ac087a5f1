// The ControlNet-Transformer (engine/models/pixart/pixart_controlnet, engine/pipeline/controls) against
// tools/reference/controlnet.py on the tiny random models of tests/fixtures/controlnet (made by
// tools/reference/make_controlnet_fixture.py): a PixArt-δ adapter (blocks after base blocks 0, 1),
// a RelaCtrl layout (after 0, 2), two controls composed with weights, pruned blocks; the
// bit-identity rules (off, weight 0, outside the schedule); Engine::generate with controls against
// the PyTorch pipeline; the condition cache; loader and input errors.
#include <QImage>
#include <QTemporaryDir>
#include <QtTest>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>

#include <nlohmann/json.hpp>

#include "engine/error.h"
#include "engine/io/npy.h"
#include "engine/io/safetensors.h"
#include "engine/models/pixart/pixart_controlnet.h"
#include "engine/models/pixart/pixart_transformer.h"
#include "engine/pipeline/controls.h"
#include "engine/pipeline/engine.h"
#include "engine/pipeline/parameters.h"
#include "kernels/cpu/ops.h"
#include "tests/common/test_helpers.h"

using namespace dit;
using namespace dit::testing;
namespace fs = std::filesystem;

using dit::testing::max_level_error;

namespace {

const fs::path kDir = fs::path(DIT_FIXTURES) / "controlnet";

Tensor expected(const std::string& name) {
    return SafetensorsFile::open(kDir / "expected.safetensors")->load(name).to_f32();
}

kernels::Backend& backend(const QString& name) {
    return name == "fast" ? kernels::fast() : kernels::reference();
}

// The fixture's model-level inputs and the base model with its prompt cache.
struct Model {
    std::unique_ptr<PixArtTransformer2DModel> base;
    Tensor latent, cond, prompt_embeds;
    std::vector<int32_t> mask;
    std::vector<float> timestep;
    PixArtTransformer2DModel::PromptCache prompt;
    explicit Model(kernels::Backend& ops) {
        base = PixArtTransformer2DModel::load(kDir / "transformer");
        latent = expected("latent");
        cond = expected("cond");
        prompt_embeds = expected("prompt_embeds");
        const Tensor m = expected("prompt_mask"), t = expected("timestep");
        for (int64_t i = 0; i < m.numel(); ++i) mask.push_back(static_cast<int32_t>(m[i]));
        for (int64_t i = 0; i < t.numel(); ++i) timestep.push_back(t[i]);
        prompt = base->encode_prompt(prompt_embeds, mask, ops);
    }
    std::shared_ptr<const PixArtControlNetAdapter> adapter(const std::string& name) const {
        return PixArtControlNetAdapter::load(kDir / name, base->config());
    }
    // One forward with the given controls (settings, adapter); step 0 of 1 unless told.
    Tensor run(const std::vector<std::pair<ControlInput, std::string>>& controls, kernels::Backend& ops,
               bool* hooked = nullptr, int step = 0, int steps = 1) const {
        auto set = ControlSet::create(*base, prompt_embeds, prompt);
        for (const auto& [in, name] : controls) {
            auto a = adapter(name);
            set->add(in, a, a->condition(*base, cond, ops), ops);
        }
        ForwardExtras extras;
        const bool h = set->install(extras, step, steps, ops);
        if (hooked) *hooked = h;
        return base->forward(latent, timestep, prompt, 64, 96, ops, nullptr, &extras);
    }
};

ControlInput settings(float weight = 1.0f, std::vector<int> skip = {}) {
    ControlInput c;
    c.type = "edges";
    c.weight = weight;
    c.skip_blocks = std::move(skip);
    return c;
}

bool bit_identical(const Tensor& a, const Tensor& b) {
    return a.shape() == b.shape() && std::memcmp(a.data(), b.data(), sizeof(float) * a.numel()) == 0;
}

using dit::testing::read_png;

// The fixture request of make_controlnet_fixture.py's pipeline cases (without controls).
Request pipeline_request() {
    Request r;
    r.model_dir = fs::path(DIT_FIXTURES) / "tiny-pixart-alpha";
    r.prompt = "a red circle at the top left";
    r.negative_prompt = "blurry";
    r.width = 96;
    r.height = 64;
    r.steps = 4;
    r.sampler = "dpm++2m";
    r.cfg = 4.5f;
    r.noise_file = fs::path(DIT_FIXTURES) / "pipeline" / "alpha_noise.npy";
    return r;
}

ControlInput pipeline_control(const std::string& map, const std::string& adapter, float weight, float start,
                              float end) {
    ControlInput c;
    c.type = map;
    c.adapter_dir = kDir / adapter;
    c.image = read_png((kDir / (map + ".png")).string());
    c.weight = weight;
    c.start = start;
    c.end = end;
    return c;
}

// A copy of a fixture adapter with its config and/or weights edited.
fs::path adapter_variant(const QTemporaryDir& tmp, const std::string& name,
                         const std::function<void(nlohmann::json&)>& edit_config,
                         const std::function<void(std::map<std::string, Tensor>&)>& edit_weights = {}) {
    const fs::path dir = fs::path(tmp.path().toStdString()) / name;
    fs::create_directories(dir);
    nlohmann::json cfg;
    std::ifstream(kDir / name / "config.json") >> cfg;
    if (edit_config) edit_config(cfg);
    std::ofstream(dir / "config.json") << cfg.dump(2);
    auto file = SafetensorsFile::open(kDir / name / "diffusion_pytorch_model.safetensors");
    std::map<std::string, Tensor> w;
    for (const auto& [key, info] : file->tensors()) w[key] = file->load(key).to_f32().clone();
    if (edit_weights) edit_weights(w);
    save_safetensors(dir / "diffusion_pytorch_model.safetensors", w);
    return dir;
}

}  // namespace

class TestControlNet : public QObject {
    Q_OBJECT

private slots:
    void forward_matches_reference_data() {
        QTest::addColumn<QString>("backend");
        QTest::addColumn<QString>("name");
        for (const char* b : {"reference", "fast"})
            for (const char* n : {"delta", "relactrl", "composed", "delta_skip1", "relactrl_skip0"})
                QTest::newRow((std::string(n) + "/" + b).c_str()) << QString(b) << QString(n);
    }
    void forward_matches_reference() {
        QFETCH(QString, backend);
        QFETCH(QString, name);
        auto& ops = ::backend(backend);
        const Model m(ops);
        std::vector<std::pair<ControlInput, std::string>> controls;
        if (name == "delta") controls = {{settings(), "delta"}};
        if (name == "relactrl") controls = {{settings(), "relactrl"}};
        if (name == "composed") controls = {{settings(0.7f), "delta"}, {settings(-1.3f), "relactrl"}};
        if (name == "delta_skip1") controls = {{settings(1.0f, {1}), "delta"}};
        if (name == "relactrl_skip0") controls = {{settings(1.0f, {0}), "relactrl"}};
        bool hooked = false;
        const Tensor out = m.run(controls, ops, &hooked);
        QVERIFY(hooked);
        const Tensor want = expected(("out_" + name).toStdString());  // [2, 8, 8, 12], float64 reference
        // Tolerance 5e-6 x max|ref| as for the base transformer (tests/engine/test_pixart.cpp):
        // the control branch is more of the same float32 blocks. Each case moves the output by
        // 2.9-4.4 from the base (see the fixture script), so a misplaced block cannot pass.
        EXPECT_CLOSE(qPrintable(name + "/" + backend), out, want, 5e-6 * max_abs(want));
        // Both CFG halves (batch items with different prompts and timesteps) are controlled.
        const Tensor base = expected("out_base");
        for (int64_t b = 0; b < 2; ++b) {
            double d = 0;
            const int64_t per = out.numel() / 2;
            for (int64_t i = b * per; i < (b + 1) * per; ++i) d = std::max(d, double(std::abs(out[i] - base[i])));
            QVERIFY2(d > 0.1, qPrintable(QString("batch item %1 barely controlled: %2").arg(b).arg(d)));
        }
    }

    // Off, weight 0 and outside the schedule: no hook, and the output is the base's to the bit.
    void inactive_controls_are_bit_identical() {
        auto& ops = kernels::fast();
        const Model m(ops);
        const Tensor plain = m.base->forward(m.latent, m.timestep, m.prompt, 64, 96, ops);
        ControlInput off = settings();
        off.enabled = false;
        ControlInput late = settings();
        late.start = 0.5f;
        bool hooked = true;
        QVERIFY(bit_identical(m.run({{off, "delta"}}, ops, &hooked), plain));
        QVERIFY(!hooked);
        QVERIFY(bit_identical(m.run({{settings(0.0f), "delta"}}, ops, &hooked), plain));
        QVERIFY(!hooked);
        QVERIFY(bit_identical(m.run({{late, "relactrl"}}, ops, &hooked, 1, 4), plain));  // step 1 of 4 < 0.5
        QVERIFY(!hooked);
        QVERIFY(!bit_identical(m.run({{late, "relactrl"}}, ops, &hooked, 2, 4), plain));  // step 2 of 4 acts
        QVERIFY(hooked);
        // An inactive control next to an active one changes nothing either.
        const Tensor one = m.run({{settings(), "delta"}}, ops);
        QVERIFY(bit_identical(m.run({{settings(), "delta"}, {settings(0.0f), "relactrl"}}, ops), one));
        QVERIFY(bit_identical(m.run({{settings(), "delta"}, {off, "relactrl"}}, ops), one));
        // Pruning every block leaves nothing to add.
        QVERIFY(bit_identical(m.run({{settings(1.0f, {0, 1}), "delta"}}, ops), plain));
        // Controls compose independently of their order.
        QVERIFY(bit_identical(m.run({{settings(0.7f), "delta"}, {settings(-1.3f), "relactrl"}}, ops),
                              m.run({{settings(-1.3f), "relactrl"}, {settings(0.7f), "delta"}}, ops)));
    }

    void schedule_fraction_follows_diffusers_rule() {
        ControlInput c = settings();
        c.start = 0.3f;
        c.end = 0.7f;
        std::vector<int> acting;
        for (int i = 0; i < 10; ++i)
            if (control_acts_at(c, i, 10)) acting.push_back(i);
        QCOMPARE(acting, (std::vector<int>{3, 4, 5, 6}));  // i/n >= start and (i+1)/n <= end
        c.start = 0;
        c.end = 1;
        QVERIFY(control_acts_at(c, 0, 1));
        c.weight = 0;
        QVERIFY(!control_acts_at(c, 0, 1));
    }

    // Engine::generate with controls against tools/reference/pipeline.py + controlnet.py.
    void pipeline_matches_reference_data() {
        QTest::addColumn<QString>("name");
        QTest::newRow("edges, whole schedule") << "alpha_control";
        QTest::newRow("edges [0, 0.5] x 0.8 + pose [0.25, 1] x 1.2") << "alpha_control_two";
    }
    void pipeline_matches_reference() {
        QFETCH(QString, name);
        Request r = pipeline_request();
        if (name == "alpha_control") {
            r.controls = {pipeline_control("edges", "alpha_edges", 1.0f, 0.0f, 1.0f)};
        } else {
            r.controls = {pipeline_control("edges", "alpha_edges", 0.8f, 0.0f, 0.5f),
                          pipeline_control("pose", "alpha_pose", 1.2f, 0.25f, 1.0f)};
        }
        Engine engine;
        Callbacks cb;
        const Result res = engine.generate(r, cb);
        const Tensor want = read_npy(kDir / (name.toStdString() + "_expected.npy"));
        // Tolerance: 2 of 255 levels, as tests/app/test_cli_generate (f32 vs float64 agree to
        // ~1e-5 before 8-bit rounding). Without the controls the image is up to 1.6-1.9 (in
        // [-1, 1] units, i.e. > 200 levels) away, so any wrong step or block shows.
        const double err = max_level_error(res.image, want);
        qInfo("%s: max error %.3f levels", qPrintable(name), err);
        QVERIFY2(err <= 2.0, qPrintable(QString("max error %1 levels").arg(err)));
        QVERIFY(res.parameters.find("\"controls\":[{") != std::string::npos);
    }

    // EasyControl's cached condition: the second request with the same map skips the VAE and the
    // patch embedding and gives the same image; a changed map is computed afresh.
    void condition_is_cached_across_requests() {
        clear_control_caches();
        Request r = pipeline_request();
        r.width = 32;
        r.height = 32;
        r.steps = 2;
        r.noise_file.reset();
        ControlInput c = pipeline_control("edges", "alpha_edges", 1.0f, 0.0f, 1.0f);
        c.image.width = c.image.height = 32;
        c.image.rgb.assign(32 * 32 * 3, 0);
        for (int i = 0; i < 32; ++i) c.image.rgb[(i * 32 + i) * 3] = c.image.rgb[(i * 32 + i) * 3 + 1] = 255;
        r.controls = {c};
        Engine engine;
        Callbacks cb;
        const Image first = engine.generate(r, cb).image;
        QCOMPARE(control_cache_stats().condition_misses, int64_t(1));
        QCOMPARE(control_cache_stats().adapter_loads, int64_t(1));
        Engine other;  // the caches are shared by every engine
        const Image second = other.generate(r, cb).image;
        QCOMPARE(control_cache_stats().condition_hits, int64_t(1));
        QCOMPARE(control_cache_stats().adapter_loads, int64_t(1));
        QVERIFY(first.rgb == second.rgb);
        r.controls[0].image.rgb[0] = 128;
        engine.generate(r, cb);
        QCOMPARE(control_cache_stats().condition_misses, int64_t(2));
        // Without controls the image differs, and an inactive control is not even loaded.
        Request plain = r;
        plain.controls.clear();
        const Image none = engine.generate(plain, cb).image;
        QVERIFY(none.rgb != first.rgb);
        r.controls[0].weight = 0;
        r.controls[0].adapter_dir = "/nonexistent/adapter";
        QVERIFY(engine.generate(r, cb).image.rgb == none.rgb);
        r.controls[0].weight = 1;
        r.controls[0].start = r.controls[0].end = 0.25f;  // no step of 2 lies inside
        QVERIFY(engine.generate(r, cb).image.rgb == none.rgb);
    }

    // The controls' settings travel in the generation parameters (the maps do not).
    void parameters_round_trip() {
        Request r = pipeline_request();
        r.controls = {pipeline_control("edges", "alpha_edges", 0.8f, 0.0f, 0.5f),
                      pipeline_control("pose", "alpha_pose", 1.2f, 0.25f, 1.0f)};
        r.controls[1].enabled = false;
        r.controls[1].skip_blocks = {0};
        const Request back = parameters_from_json(parameters_json(r));
        QCOMPARE(int(back.controls.size()), 2);
        for (size_t i = 0; i < 2; ++i) {
            QCOMPARE(back.controls[i].type, r.controls[i].type);
            QCOMPARE(back.controls[i].weight, r.controls[i].weight);
            QCOMPARE(back.controls[i].start, r.controls[i].start);
            QCOMPARE(back.controls[i].end, r.controls[i].end);
            QCOMPARE(back.controls[i].enabled, r.controls[i].enabled);
            QCOMPARE(back.controls[i].skip_blocks, r.controls[i].skip_blocks);
            QCOMPARE(back.controls[i].adapter_dir, r.controls[i].adapter_dir);
            QVERIFY(back.controls[i].image.empty());
        }
        EXPECT_ERROR(parameters_from_json("{\"controls\": [{\"weight\": 1}]}"), "field 'controls'");
    }

    void broken_control_inputs() {
        Request r = pipeline_request();
        r.steps = 1;
        Engine engine;
        Callbacks cb;
        auto with = [&](const std::function<void(ControlInput&)>& edit) {
            Request q = r;
            ControlInput c = pipeline_control("edges", "alpha_edges", 1.0f, 0.0f, 1.0f);
            edit(c);
            q.controls = {c};
            engine.generate(q, cb);
        };
        EXPECT_ERROR(with([](ControlInput& c) { c.image.width = 48; }), "control 1 (edges): field 'image' is 48x64");
        EXPECT_ERROR(with([](ControlInput& c) { c.image = Image(); }), "control 1 (edges): field 'image' is empty");
        EXPECT_ERROR(with([](ControlInput& c) { c.adapter_dir = "/nonexistent/adapter"; }),
                     "control 1 (edges): /nonexistent/adapter: control adapter folder does not exist");
        EXPECT_ERROR(with([](ControlInput& c) {
                         c.adapter_dir.clear();
                         c.type = "depth";
                     }),
                     "tiny-pixart-alpha/controlnet_depth: control adapter folder does not exist");
        EXPECT_ERROR(with([](ControlInput& c) { c.skip_blocks = {3}; }),
                     "field 'skip_blocks' names control block 3; the adapter has blocks 0..0");
        EXPECT_ERROR(with([](ControlInput& c) { c.start = 0.8f, c.end = 0.2f; }),
                     "fields 'start' and 'end' must satisfy 0 <= start <= end <= 1");
        EXPECT_ERROR(with([](ControlInput& c) { c.weight = NAN; }), "field 'weight' must be a finite number");
        EXPECT_ERROR(with([](ControlInput& c) { c.type = "../x"; }), "field 'type' may hold only");
    }

    void adapter_loader_errors() {
        const auto base = PixArtTransformer2DModel::load(kDir / "transformer");
        const PixArtConfig& bc = base->config();
        QTemporaryDir t1, t2, t3, t4, t5, t6;
        // One error names every missing, mis-shaped and unexpected key.
        const fs::path broken = adapter_variant(t1, "delta", {}, [](std::map<std::string, Tensor>& w) {
            w.erase("controlnet_blocks.1.after_proj.bias");
            w["controlnet_blocks.0.before_proj.weight"] = Tensor({32, 16});
            w["controlnet_blocks.2.after_proj.weight"] = Tensor({32, 32});
        });
        const std::string msg = error_of([&] { PixArtControlNetAdapter::load(broken, bc); });
        qInfo("%s", msg.c_str());
        for (const char* part : {"missing", "controlnet_blocks.1.after_proj.bias", "controlnet_blocks.0.before_proj.weight",
                                 "[32, 16]", "unexpected", "controlnet_blocks.2.after_proj.weight"})
            QVERIFY2(msg.find(part) != std::string::npos, qPrintable(QString("lacks '%1'").arg(part)));
        EXPECT_ERROR(PixArtControlNetAdapter::load(
                         adapter_variant(t2, "relactrl", [](nlohmann::json& c) { c["block_indices"] = {0, 3}; }), bc),
                     "field 'block_indices': control block 1 follows base block 3, but the base transformer has 4 "
                     "blocks");
        EXPECT_ERROR(PixArtControlNetAdapter::load(
                         adapter_variant(t3, "relactrl", [](nlohmann::json& c) { c["block_indices"] = {2, 1}; }), bc),
                     "field 'block_indices' must be strictly increasing");
        EXPECT_ERROR(PixArtControlNetAdapter::load(
                         adapter_variant(t4, "relactrl", [](nlohmann::json& c) { c["block_indices"] = {0}; }), bc),
                     "field 'block_indices' lists 1 base blocks for num_layers 2");
        EXPECT_ERROR(PixArtControlNetAdapter::load(
                         adapter_variant(t5, "delta", [](nlohmann::json& c) { c["num_attention_heads"] = 16; }), bc),
                     "field 'num_attention_heads' is 16 but the base transformer has 2");
        EXPECT_ERROR(PixArtControlNetAdapter::load(
                         adapter_variant(t6, "delta", [](nlohmann::json& c) { c["num_layers"] = 4; }), bc),
                     "control block 3 follows base block 3");
        EXPECT_ERROR(PixArtControlNetAdapter::load(kDir / "no_such_adapter", bc),
                     "no_such_adapter: control adapter folder does not exist");
    }
};

QTEST_APPLESS_MAIN(TestControlNet)
#include "test_controlnet.moc"
