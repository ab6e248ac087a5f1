// PixArtTransformer2DModel against tools/reference/pixart.py on the two tiny random models of
// tests/fixtures/pixart (made by tools/reference/make_pixart_fixture.py): "alpha" (α layout,
// micro-conditioning, F16/F32 weights) and "sigma" (Σ layout, interpolation_scale 2, BF16
// weights), on both CPU backends; plus loader and input errors and cancellation.
#include <QtTest>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>

#include <nlohmann/json.hpp>

#include "engine/error.h"
#include "tests/common/component_variant.h"
#include "tests/common/test_helpers.h"
#include "engine/io/safetensors.h"
#include "engine/models/pixart/pixart_embeddings.h"
#include "engine/models/pixart/pixart_transformer.h"
#include "kernels/cpu/ops.h"

using namespace dit;
using namespace dit::testing;
namespace fs = std::filesystem;

namespace {

const fs::path kDir = fs::path(DIT_FIXTURES) / "pixart";

Tensor expected(const std::string& model, const std::string& name) {
    return SafetensorsFile::open(kDir / model / "expected.safetensors")->load(name);
}

// The fixture's inputs: latent [2, 4, 8, 12] from a 64 x 96 image, the prompt mask as ints.
struct Inputs {
    Tensor latent, prompt_embeds;
    std::vector<int32_t> mask;
    std::vector<float> timestep;
    int image_height = 0, image_width = 0;
};

Inputs inputs(const std::string& model) {
    Inputs in;
    in.latent = expected(model, "latent");
    in.prompt_embeds = expected(model, "prompt_embeds");
    const Tensor m = expected(model, "prompt_mask"), t = expected(model, "timestep"),
                 r = expected(model, "resolution");
    for (int64_t i = 0; i < m.numel(); ++i) in.mask.push_back(static_cast<int32_t>(m[i]));
    for (int64_t i = 0; i < t.numel(); ++i) in.timestep.push_back(t[i]);
    in.image_height = static_cast<int>(r[0]);
    in.image_width = static_cast<int>(r[1]);
    return in;
}

kernels::Backend& backend(const QString& name) {
    return name == "fast" ? kernels::fast() : kernels::reference();
}

// A copy of a fixture transformer in a temporary folder with its config and/or weights edited.
fs::path variant(const QTemporaryDir& tmp, const std::string& model,
                 const std::function<void(nlohmann::json&)>& edit_config,
                 const std::function<void(std::map<std::string, Tensor>&)>& edit_weights = {}) {
    return component_variant(tmp, kDir / model / "transformer", model, edit_config, edit_weights);
}

void keep_config(nlohmann::json&) {}

}  // namespace

class TestPixArt : public QObject {
    Q_OBJECT

private slots:
    void config_is_read();
    void position_embedding_matches_diffusers_data();
    void position_embedding_matches_diffusers();
    void forward_matches_reference_data();
    void forward_matches_reference();
    void micro_conditioning_follows_config_then_weights();
    void missing_and_misshaped_keys_are_named();
    void wrong_class_name_is_refused();
    void bad_inputs_are_refused();
    void cancellation_between_blocks();
};

void TestPixArt::config_is_read() {
    auto alpha = PixArtTransformer2DModel::load(kDir / "alpha" / "transformer");
    const auto& a = alpha->config();
    QCOMPARE(a.hidden(), 48);
    QCOMPARE(a.num_layers, 2);
    QCOMPARE(a.out_channels, 8);
    QCOMPARE(a.caption_channels, 24);
    QVERIFY(a.micro_conditioning);
    QCOMPARE(a.interpolation_scale, 1.0f);  // null -> max(8 / 64, 1)
    auto sigma = PixArtTransformer2DModel::load(kDir / "sigma" / "transformer");
    const auto& s = sigma->config();
    QCOMPARE(s.hidden(), 32);
    QVERIFY(!s.micro_conditioning);
    QCOMPARE(s.interpolation_scale, 2.0f);
    QCOMPARE(s.sample_size, 12);
}

void TestPixArt::position_embedding_matches_diffusers_data() {
    QTest::addColumn<QString>("model");
    QTest::newRow("alpha") << "alpha";
    QTest::newRow("sigma") << "sigma";
}

void TestPixArt::position_embedding_matches_diffusers() {
    QFETCH(QString, model);
    const std::string m = model.toStdString();
    auto t = PixArtTransformer2DModel::load(kDir / m / "transformer");
    const auto& c = t->config();
    const Tensor want = expected(m, "pos_embed");  // [24, D] for the 4 x 6 grid
    const Tensor got = pixart::sincos_pos_embed_2d(c.hidden(), 4, 6, c.sample_size / c.patch_size,
                                                   c.interpolation_scale);
    // Both sides compute the same f32 coordinates and round double sin/cos to f32: identical
    // up to the last bit of libm; 1e-6 allows that.
    EXPECT_CLOSE("pos_embed", got, want, 1e-6);
}

void TestPixArt::forward_matches_reference_data() {
    QTest::addColumn<QString>("model");
    QTest::addColumn<QString>("backend");
    for (const char* m : {"alpha", "sigma"})
        for (const char* b : {"reference", "fast"})
            QTest::newRow((std::string(m) + "/" + b).c_str()) << QString(m) << QString(b);
}

void TestPixArt::forward_matches_reference() {
    QFETCH(QString, model);
    QFETCH(QString, backend);
    const std::string m = model.toStdString();
    auto& ops = ::backend(backend);
    auto t = PixArtTransformer2DModel::load(kDir / m / "transformer");
    const Inputs in = inputs(m);
    const auto prompt = t->encode_prompt(in.prompt_embeds, in.mask, ops);
    const Tensor out = t->forward(in.latent, in.timestep, prompt, in.image_height, in.image_width, ops);
    const Tensor want = expected(m, "output");  // [2, 8, 8, 12], float64 reference
    // Tolerance 5e-6 x max|ref| (max|ref| is 5.5 for alpha, 4.1 for sigma). Measured: reference
    // backend 2e-7, fast backend 7e-7 x max|ref| (the float32 PyTorch model: 6e-7); the margin
    // covers other summation orders (OpenBLAS kernels, thread counts). Mistakes measured on the
    // reference model move the output far more: swapped position-embedding halves 0.35-0.42,
    // ignoring the prompt mask 0.11-0.28, timestep off by one 0.10-0.15, layer-norm eps 1e-5
    // instead of 1e-6 8e-6 (alpha) x max|ref|.
    EXPECT_CLOSE(qPrintable(model + "/" + backend), out, want, 5e-6 * max_abs(want));

    // The prompt cache is reusable: a second step with the same cache gives the same result.
    const Tensor again = t->forward(in.latent, in.timestep, prompt, in.image_height, in.image_width, ops);
    QCOMPARE(max_abs_diff(again, out), 0.0);
}

void TestPixArt::micro_conditioning_follows_config_then_weights() {
    QTemporaryDir tmp;
    // No use_additional_conditions: the resolution_embedder weights switch it on (α-1024).
    auto a = PixArtTransformer2DModel::load(
        variant(tmp, "alpha", [](nlohmann::json& c) { c.erase("use_additional_conditions"); }));
    QVERIFY(a->config().micro_conditioning);
    // Explicitly false: diffusers ignores the embedder weights, and so do we (no error).
    QTemporaryDir tmp2;
    auto b = PixArtTransformer2DModel::load(
        variant(tmp2, "alpha", [](nlohmann::json& c) { c["use_additional_conditions"] = false; }));
    QVERIFY(!b->config().micro_conditioning);
    // Explicitly true without the weights: they are reported missing.
    QTemporaryDir tmp3;
    const fs::path dir3 = variant(tmp3, "alpha", keep_config, [](std::map<std::string, Tensor>& w) {
        std::erase_if(w, [](const auto& kv) { return kv.first.find("resolution_embedder") != std::string::npos; });
    });
    EXPECT_ERROR_PARTS(PixArtTransformer2DModel::load(dir3), "missing",
                 "adaln_single.emb.resolution_embedder.linear_1.weight");
    // Micro-conditioning needs D divisible by 3 (three D/3 embeddings are concatenated).
    QTemporaryDir tmp4;
    EXPECT_ERROR_PARTS(PixArtTransformer2DModel::load(variant(
                     tmp4, "sigma", [](nlohmann::json& c) { c["use_additional_conditions"] = true; })),
                 "config.json", "32", "multiple of 3");
}

void TestPixArt::missing_and_misshaped_keys_are_named() {
    QTemporaryDir tmp;
    const fs::path dir = variant(tmp, "alpha", keep_config, [](std::map<std::string, Tensor>& w) {
        w.erase("transformer_blocks.1.attn2.to_k.weight");
        w["proj_out.weight"] = Tensor({16, 48});  // should be [32, 48]
    });
    EXPECT_ERROR_PARTS(PixArtTransformer2DModel::load(dir), "missing", "transformer_blocks.1.attn2.to_k.weight",
                 "mis-shaped", "proj_out.weight", "[32, 48]", "[16, 48]");
}

void TestPixArt::wrong_class_name_is_refused() {
    QTemporaryDir tmp;
    const fs::path dir = variant(tmp, "sigma", [](nlohmann::json& c) { c["_class_name"] = "UNet2DConditionModel"; });
    EXPECT_ERROR_PARTS(PixArtTransformer2DModel::load(dir), "config.json", "_class_name", "UNet2DConditionModel",
                 "PixArtTransformer2DModel");
    QTemporaryDir tmp2;
    const fs::path dir2 = variant(tmp2, "sigma", [](nlohmann::json& c) { c["norm_type"] = "ada_norm_zero"; });
    EXPECT_ERROR_PARTS(PixArtTransformer2DModel::load(dir2), "config.json", "norm_type", "ada_norm_zero");
}

void TestPixArt::bad_inputs_are_refused() {
    auto& ops = kernels::fast();
    auto t = PixArtTransformer2DModel::load(kDir / "alpha" / "transformer");
    const Inputs in = inputs("alpha");
    const auto prompt = t->encode_prompt(in.prompt_embeds, in.mask, ops);
    // 7 x 12 latent: the height is not a multiple of the patch size 2.
    EXPECT_ERROR_PARTS(t->forward(Tensor({2, 4, 7, 12}), in.timestep, prompt, 56, 96, ops), "7x12", "patch size 2");
    EXPECT_ERROR_PARTS(t->forward(Tensor({2, 3, 8, 12}), in.timestep, prompt, 64, 96, ops), "[2, 3, 8, 12]", "[B, 4");
    // The cache holds 2 prompts, the latent batch is 1.
    EXPECT_ERROR_PARTS(t->forward(Tensor({1, 4, 8, 12}), {999.0f}, prompt, 64, 96, ops), "prompt cache", "2 prompt");
    EXPECT_ERROR_PARTS(t->encode_prompt(Tensor({2, 6, 16}), in.mask, ops), "[B, L, 24]", "[2, 6, 16]");
    EXPECT_ERROR_PARTS(t->encode_prompt(in.prompt_embeds, std::vector<int32_t>(5, 1), ops), "mask", "12");
}

void TestPixArt::cancellation_between_blocks() {
    auto& ops = kernels::fast();
    auto t = PixArtTransformer2DModel::load(kDir / "alpha" / "transformer");
    const Inputs in = inputs("alpha");
    const auto prompt = t->encode_prompt(in.prompt_embeds, in.mask, ops);
    int polls = 0;
    // Asks to stop at the second poll: after block 0 has run, before block 1.
    const std::function<bool()> cancel = [&] { return ++polls >= 2; };
    bool thrown = false;
    try {
        t->forward(in.latent, in.timestep, prompt, in.image_height, in.image_width, ops, &cancel);
    } catch (const Cancelled&) {
        thrown = true;
    }
    QVERIFY(thrown);
    QCOMPARE(polls, 2);
    // A flag that never fires: the forward completes, polled once per block.
    polls = 0;
    const std::function<bool()> never = [&] { ++polls; return false; };
    t->forward(in.latent, in.timestep, prompt, in.image_height, in.image_width, ops, &never);
    QCOMPARE(polls, t->config().num_layers);
}

QTEST_APPLESS_MAIN(TestPixArt)
#include "test_pixart.moc"
