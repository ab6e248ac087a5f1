// SanaTransformer2DModel against tools/reference/sana.py on the three tiny random models of
// tests/fixtures/sana (tools/reference/make_sana_fixture.py): "sana" (v0.32 layout, F32), "sprint"
// (guidance embedding + QK norms, BF16 matrices) and "pe" (the position-table variant, patch 2,
// F16 matrices), each on a non-square 6 x 10 latent with a padded prompt, on both CPU backends
// and the isolated-memory one; SanaControlNetModel ("controlnet", 2 blocks) driving the "sana"
// transformer; plus broken configs and weights, bad inputs and cancellation.
//
// Tolerance: 2e-5 absolute on outputs of magnitude ~4 (float64 reference vs the engine's f32;
// torch's own f32 evaluation differs from float64 by ~3e-6).
#include <QtTest>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>

#include <nlohmann/json.hpp>

#include "engine/error.h"
#include "engine/io/npy.h"
#include "engine/io/safetensors.h"
#include "engine/models/sana/sana_controlnet.h"
#include "engine/models/sana/sana_transformer.h"
#include "kernels/cpu/ops.h"
#include "tests/common/component_variant.h"
#include "tests/common/test_helpers.h"

using namespace dit;
using namespace dit::testing;
namespace fs = std::filesystem;

namespace {

const fs::path kDir = fs::path(DIT_FIXTURES) / "sana";
constexpr double kTolerance = 2e-5;

struct Inputs {
    Tensor latent, prompt_embeds, output;
    std::vector<int32_t> mask;
    std::vector<float> timestep, guidance;
};

Inputs inputs(const std::string& model) {
    const fs::path d = kDir / model;
    Inputs in;
    in.latent = read_npy(d / "latent.npy");
    in.prompt_embeds = read_npy(d / "prompt_embeds.npy");
    in.output = read_npy(d / "output.npy");
    const Tensor m = read_npy(d / "prompt_mask.npy"), t = read_npy(d / "timestep.npy");
    for (int64_t i = 0; i < m.numel(); ++i) in.mask.push_back(static_cast<int32_t>(m[i]));
    for (int64_t i = 0; i < t.numel(); ++i) in.timestep.push_back(t[i]);
    if (fs::exists(d / "guidance.npy")) {
        const Tensor g = read_npy(d / "guidance.npy");
        for (int64_t i = 0; i < g.numel(); ++i) in.guidance.push_back(g[i]);
    }
    return in;
}

kernels::Backend& backend(const QString& name) {
    if (name == "fast") return kernels::fast();
    if (name == "isolated") return kernels::isolated();
    return kernels::reference();
}

Tensor run(const SanaTransformer2DModel& t, const Inputs& in, kernels::Backend& ops,
           const std::function<bool()>* cancelled = nullptr) {
    const auto prompt = t.encode_prompt(in.prompt_embeds, in.mask, ops);
    return t.forward(in.latent, in.timestep, prompt, ops, in.guidance.empty() ? nullptr : &in.guidance, cancelled);
}

// A copy of a fixture transformer with its config and/or weights edited.
fs::path variant(const QTemporaryDir& tmp, const std::string& model,
                 const std::function<void(nlohmann::json&)>& edit_config,
                 const std::function<void(std::map<std::string, Tensor>&)>& edit_weights = {}) {
    return component_variant(tmp, kDir / model / "transformer", model, edit_config, edit_weights);
}

void keep_config(nlohmann::json&) {}

}  // namespace

class TestSana : public QObject {
    Q_OBJECT

private slots:
    void config_is_read() {
        const auto s = SanaTransformer2DModel::load(kDir / "sana" / "transformer");
        const SanaConfig& c = s->config();
        QCOMPARE(c.hidden(), 16);
        QCOMPARE(c.ffn_hidden(), int64_t(40));
        QVERIFY(!c.interpolation_scale && !c.guidance_embeds && !c.qk_norm && !c.attention_bias);
        const auto sp = SanaTransformer2DModel::load(kDir / "sprint" / "transformer");
        QVERIFY(sp->config().guidance_embeds && sp->config().qk_norm && sp->config().attention_bias);
        QCOMPARE(sp->config().guidance_embeds_scale, 0.1f);
        const auto pe = SanaTransformer2DModel::load(kDir / "pe" / "transformer");
        QVERIFY(pe->config().interpolation_scale.has_value());
        QCOMPARE(*pe->config().interpolation_scale, 1.5f);
        QCOMPARE(pe->config().patch_size, 2);
    }

    void forward_matches_reference_data() {
        QTest::addColumn<QString>("model");
        QTest::addColumn<QString>("backend");
        for (const char* m : {"sana", "sprint", "pe"})
            for (const char* b : {"reference", "fast", "isolated"})
                QTest::newRow(qPrintable(QString("%1/%2").arg(m, b))) << QString(m) << QString(b);
    }
    void forward_matches_reference() {
        QFETCH(QString, model);
        QFETCH(QString, backend);
        kernels::Backend& ops = ::backend(backend);
        const auto t = SanaTransformer2DModel::load(kDir / model.toStdString() / "transformer", ops);
        const Inputs in = inputs(model.toStdString());
        QCOMPARE(in.latent.dim(2), int64_t(6));
        QCOMPARE(in.latent.dim(3), int64_t(10));
        const Tensor out = run(*t, in, ops);
        EXPECT_CLOSE(qPrintable(model + " on " + backend), out, in.output, kTolerance);
    }

    // The checks above would pass with a model that ignored a feature the fixture exercises
    // weakly; these show each one moves the output well beyond the tolerance.
    void each_feature_matters() {
        auto& ops = kernels::fast();
        const auto t = SanaTransformer2DModel::load(kDir / "sprint" / "transformer", ops);
        Inputs in = inputs("sprint");
        const Tensor base = run(*t, in, ops);
        Inputs other = in;
        other.guidance = {0.0f, 0.0f};
        QVERIFY(max_abs_diff(run(*t, other, ops), base) > 100 * kTolerance);
        other = in;
        other.mask.assign(other.mask.size(), 1);
        QVERIFY(max_abs_diff(run(*t, other, ops), base) > 100 * kTolerance);
    }

    void inconsistent_heads_are_refused() {
        QTemporaryDir tmp;
        // 3 x 8 cross-attention channels against a hidden size of 2 x 8.
        EXPECT_ERROR_PARTS(SanaTransformer2DModel::load(variant(tmp, "sana", [](nlohmann::json& c) {
                               c["num_cross_attention_heads"] = 3;
                           })),
                           "config.json", "num_cross_attention_heads", "24", "16");
        QTemporaryDir tmp2;
        EXPECT_ERROR_PARTS(SanaTransformer2DModel::load(variant(tmp2, "sana", [](nlohmann::json& c) {
                               c["cross_attention_dim"] = 20;
                           })),
                           "config.json", "cross_attention_dim", "20", "16");
        QTemporaryDir tmp3;
        EXPECT_ERROR_PARTS(SanaTransformer2DModel::load(variant(tmp3, "sana", [](nlohmann::json& c) {
                               c["num_attention_heads"] = 0;
                           })),
                           "config.json", "num_attention_heads", "0");
        QTemporaryDir tmp4;
        EXPECT_ERROR_PARTS(SanaTransformer2DModel::load(variant(tmp4, "sprint", [](nlohmann::json& c) {
                               c["qk_norm"] = "layer_norm";
                           })),
                           "config.json", "qk_norm", "layer_norm");
        QTemporaryDir tmp5;
        EXPECT_ERROR_PARTS(SanaTransformer2DModel::load(variant(tmp5, "sana", [](nlohmann::json& c) {
                               c["_class_name"] = "PixArtTransformer2DModel";
                           })),
                           "config.json", "_class_name", "PixArtTransformer2DModel", "SanaTransformer2DModel");
        QTemporaryDir tmp6;
        EXPECT_ERROR_PARTS(SanaTransformer2DModel::load(variant(tmp6, "sana", [](nlohmann::json& c) {
                               c["mlp_ratio"] = -1.0;
                           })),
                           "config.json", "mlp_ratio");
        QTemporaryDir tmp7;
        EXPECT_ERROR_PARTS(SanaTransformer2DModel::load(variant(tmp7, "sana", [](nlohmann::json& c) {
                               c["norm_elementwise_affine"] = true;
                           })),
                           "config.json", "norm_elementwise_affine");
    }

    void config_and_weights_must_agree() {
        // A config that claims what the weights lack: the keys are named.
        QTemporaryDir tmp;
        EXPECT_ERROR_PARTS(SanaTransformer2DModel::load(variant(tmp, "sana", [](nlohmann::json& c) {
                               c["guidance_embeds"] = true;
                           })),
                           "missing", "time_embed.guidance_embedder.linear_1.weight", "unexpected",
                           "time_embed.emb.timestep_embedder");
        QTemporaryDir tmp2;
        EXPECT_ERROR_PARTS(SanaTransformer2DModel::load(variant(tmp2, "sana", [](nlohmann::json& c) {
                               c["attention_bias"] = true;
                           })),
                           "missing", "transformer_blocks.0.attn1.to_q.bias");
        QTemporaryDir tmp3;
        EXPECT_ERROR_PARTS(SanaTransformer2DModel::load(variant(tmp3, "sana", [](nlohmann::json& c) {
                               c["mlp_ratio"] = 3.0;
                           })),
                           "mis-shaped", "transformer_blocks.0.ff.conv_inverted.weight");
        QTemporaryDir tmp4;
        EXPECT_ERROR_PARTS(SanaTransformer2DModel::load(variant(tmp4, "sana", keep_config,
                                                                [](std::map<std::string, Tensor>& w) {
                                                                    w.erase("caption_norm.weight");
                                                                    w["transformer_blocks.1.ff.conv_depth.weight"] =
                                                                        Tensor({40, 1, 3, 3});
                                                                })),
                           "missing", "caption_norm.weight", "mis-shaped", "transformer_blocks.1.ff.conv_depth.weight",
                           "[80, 1, 3, 3]", "[40, 1, 3, 3]");
    }

    void bad_inputs_are_refused() {
        auto& ops = kernels::fast();
        const auto t = SanaTransformer2DModel::load(kDir / "sprint" / "transformer");
        const Inputs in = inputs("sprint");
        const auto prompt = t->encode_prompt(in.prompt_embeds, in.mask, ops);
        EXPECT_ERROR_PARTS(t->forward(in.latent, in.timestep, prompt, ops), "guidance_embeds", "none was given");
        const std::vector<float> one{0.1f};
        EXPECT_ERROR_PARTS(t->forward(in.latent, in.timestep, prompt, ops, &one), "1 guidance values", "batch of 2");
        EXPECT_ERROR_PARTS(t->forward(Tensor({2, 3, 6, 10}), in.timestep, prompt, ops, &in.guidance), "[2, 3, 6, 10]");
        EXPECT_ERROR_PARTS(t->forward(Tensor({1, 4, 6, 10}), {999.0f}, prompt, ops, &one), "prompt cache", "2 prompt");
        EXPECT_ERROR_PARTS(t->encode_prompt(Tensor({2, 5, 16}), in.mask, ops), "[B, L, 12]", "[2, 5, 16]");
        EXPECT_ERROR_PARTS(t->encode_prompt(in.prompt_embeds, std::vector<int32_t>(3, 1), ops), "mask", "10");
        const auto pe = SanaTransformer2DModel::load(kDir / "pe" / "transformer");
        const auto pe_prompt = pe->encode_prompt(in.prompt_embeds, in.mask, ops);
        EXPECT_ERROR_PARTS(pe->forward(Tensor({2, 4, 5, 10}), in.timestep, pe_prompt, ops), "5x10", "patch size 2");
        EXPECT_ERROR_PARTS(pe->forward(in.latent, in.timestep, pe_prompt, ops, &in.guidance), "without guidance_embeds");
    }

    void controlnet_matches_reference_data() {
        QTest::addColumn<QString>("backend");
        for (const char* b : {"reference", "fast", "isolated"}) QTest::newRow(b) << QString(b);
    }
    void controlnet_matches_reference() {
        QFETCH(QString, backend);
        kernels::Backend& ops = ::backend(backend);
        const auto base = SanaTransformer2DModel::load(kDir / "sana" / "transformer", ops);
        const auto net = SanaControlNetModel::load(kDir / "controlnet" / "controlnet", ops);
        const Inputs in = inputs("sana");
        const Tensor control = read_npy(kDir / "controlnet" / "control_latent.npy");
        const Tensor want = read_npy(kDir / "controlnet" / "output.npy");
        const auto residuals = net->forward(in.latent, control, in.timestep, net->encode_prompt(in.prompt_embeds, in.mask, ops),
                                            0.7f, ops);
        QCOMPARE(int(residuals.size()), 2);
        const Tensor out = base->forward(in.latent, in.timestep, base->encode_prompt(in.prompt_embeds, in.mask, ops), ops,
                                         nullptr, nullptr, &residuals);
        EXPECT_CLOSE(qPrintable("controlnet on " + backend), out, want, kTolerance);
        QVERIFY(max_abs_diff(out, in.output) > 100 * kTolerance);  // the control moved the output
    }

    void controlnet_errors_name_the_problem() {
        auto& ops = kernels::fast();
        const fs::path dir = kDir / "controlnet" / "controlnet";
        // A transformer folder is not a ControlNet, and the other way round.
        EXPECT_ERROR_PARTS(SanaControlNetModel::load(kDir / "sana" / "transformer"), "config.json", "_class_name",
                           "SanaTransformer2DModel", "SanaControlNetModel");
        EXPECT_ERROR_PARTS(SanaTransformer2DModel::load(dir), "_class_name", "SanaControlNetModel");
        const auto net = SanaControlNetModel::load(dir, ops);
        const Inputs in = inputs("sana");
        const auto prompt = net->encode_prompt(in.prompt_embeds, in.mask, ops);
        EXPECT_ERROR_PARTS(net->forward(in.latent, Tensor({2, 4, 6, 8}), in.timestep, prompt, 1.0f, ops),
                           "control latent is [2, 4, 6, 8]", "[2, 4, 6, 10]");
        const auto base = SanaTransformer2DModel::load(kDir / "sana" / "transformer", ops);
        const std::vector<Tensor> wrong{Tensor({2, 59, 16})};
        EXPECT_ERROR_PARTS(base->forward(in.latent, in.timestep, base->encode_prompt(in.prompt_embeds, in.mask, ops), ops,
                                         nullptr, nullptr, &wrong),
                           "control residual is [2, 59, 16]", "[2, 60, 16]");
    }

    void cancellation_between_blocks() {
        auto& ops = kernels::fast();
        const auto t = SanaTransformer2DModel::load(kDir / "sana" / "transformer");
        const Inputs in = inputs("sana");
        int polls = 0;
        const std::function<bool()> cancel = [&] { return ++polls >= 2; };
        bool thrown = false;
        try {
            run(*t, in, ops, &cancel);
        } catch (const Cancelled&) {
            thrown = true;
        }
        QVERIFY(thrown);
        QCOMPARE(polls, 2);
    }
};

QTEST_APPLESS_MAIN(TestSana)
#include "test_sana.moc"
