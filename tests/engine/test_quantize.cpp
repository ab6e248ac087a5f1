// `dit-cli quantize`'s engine side: the rule of what is quantized, quantized copies of the
// default model and the tiny fixtures that load and generate, their PSNR against the f32 image
// (same seed, same noise), and a single quantized file swapped in for one component.
#include <QtTest>

#include "engine/error.h"
#include "engine/image.h"
#include "engine/io/quantize_model.h"
#include "engine/io/weights.h"
#include "engine/pipeline/engine.h"
#include "tests/common/test_helpers.h"

using namespace dit;
using namespace dit::testing;
namespace fs = std::filesystem;

namespace {

const fs::path kDefault = fs::path(DIT_SOURCE_DIR) / "resources" / "models" / "default";

Request default_request(const fs::path& model) {
    Request r;
    r.model_dir = model;
    r.prompt = "a red circle above a blue square";
    r.negative_prompt = "";
    r.width = r.height = 128;
    r.steps = 8;
    r.seed = 7;
    return r;
}

Image generate(const Request& r) {
    Engine engine;
    Callbacks cb;
    return engine.generate(r, cb).image;
}

}  // namespace

class TestQuantize : public QObject {
    Q_OBJECT

    QTemporaryDir tmp_;
    fs::path dir() const { return fs::path(tmp_.path().toStdString()); }

private slots:
    void initTestCase() { QVERIFY(tmp_.isValid()); }

    void ruleKeepsNormsBiasesEmbeddingsAndSmallMatrices() {
        const DType q = DType::Q8_0;
        QCOMPARE(quantized_dtype("transformer_blocks.0.attn1.to_q.weight", {192, 192}, DType::F32, q), q);
        QCOMPARE(quantized_dtype("transformer_blocks.0.attn1.to_q.bias", {192}, DType::F32, q), DType::F32);
        QCOMPARE(quantized_dtype("encoder.final_layer_norm.weight", {4096}, DType::BF16, q), DType::BF16);
        QCOMPARE(quantized_dtype("shared.weight", {32128, 4096}, DType::BF16, q), DType::BF16);
        QCOMPARE(quantized_dtype("pos_embed.proj.weight", {1152, 4, 2, 2}, DType::F32, q), DType::F32);
        QCOMPARE(quantized_dtype("adaln_single.emb.timestep_embedder.linear_1.weight", {1152, 256}, DType::F32, q),
                 DType::F32);
        QCOMPARE(quantized_dtype("encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight", {32, 64},
                                 DType::F32, q), DType::F32);
        QCOMPARE(quantized_dtype("proj.weight", {32, 64}, DType::F32, q), DType::F32);  // 2048 values: small
        // K-quants need 256-value rows; shorter ones fall back as llama.cpp does, or stay.
        QCOMPARE(quantized_dtype("ff.net.2.weight", {1152, 4608}, DType::F32, DType::Q4_K), DType::Q4_K);
        QCOMPARE(quantized_dtype("ff.net.0.proj.weight", {4608, 1152}, DType::F32, DType::Q4_K), DType::Q5_0);
        QCOMPARE(quantized_dtype("ff.net.0.proj.weight", {768, 192}, DType::F32, DType::Q4_K), DType::Q5_0);
        QCOMPARE(quantized_dtype("ff.net.0.proj.weight", {768, 192}, DType::F32, DType::Q5_K), DType::Q5_1);
        QCOMPARE(quantized_dtype("ff.net.0.proj.weight", {768, 200}, DType::F32, DType::Q8_0), DType::F32);
        QCOMPARE(quantized_dtype("ff.net.0.proj.weight", {768, 200}, DType::F16, DType::F8_E4M3), DType::F8_E4M3);
    }

    void refusesToOverwriteOrInvent() {
        fs::create_directories(dir() / "exists");
        EXPECT_ERROR(quantize_model(kDefault, dir() / "exists", DType::Q8_0, {"transformer"}),
                          "already exists; quantize writes a new folder");
        EXPECT_ERROR(quantize_model(kDefault, dir() / "x", DType::Q8_0, {"unet"}), "has no 'unet' component");
        EXPECT_ERROR(quantize_model(dir() / "nowhere", dir() / "y", DType::Q8_0, {"transformer"}),
                          "model folder does not exist");
        QVERIFY(!fs::exists(dir() / "x") && !fs::exists(dir() / "y"));
        Request r = default_request(kDefault);
        r.component_files.transformer = dir() / "missing.gguf";
        EXPECT_ERROR(generate(r), "missing.gguf: not found; --transformer takes a single .gguf or .safetensors file");
    }

    void quantizedDefaultModelGeneratesCloseToF32_data() {
        QTest::addColumn<QString>("type");
        QTest::addColumn<double>("min_psnr");
        // The goals: Q8_0 >= 35 dB, Q4_K >= 25 dB; Q5_K and FP8 sit between.
        QTest::newRow("q8_0") << "Q8_0" << 35.0;
        QTest::newRow("q5_k") << "Q5_K" << 28.0;
        QTest::newRow("q4_k") << "Q4_K" << 25.0;
        QTest::newRow("f8_e4m3") << "F8_E4M3" << 28.0;
    }
    void quantizedDefaultModelGeneratesCloseToF32() {
        QFETCH(QString, type);
        QFETCH(double, min_psnr);
        DType t = DType::Q8_0;
        for (DType d : {DType::Q8_0, DType::Q5_K, DType::Q4_K, DType::F8_E4M3})
            if (type == dtype_name(d)) t = d;
        const fs::path out = dir() / ("default-" + type.toStdString());
        const auto reports = quantize_model(kDefault, out, t, {"transformer", "text_encoder"});
        QCOMPARE(int(reports.size()), 2);
        for (const ComponentReport& r : reports) {
            QVERIFY2(r.quantized > 0, r.component.c_str());
            QVERIFY(WeightStore::open(r.file).stored_bytes() < r.bytes_before);
        }
        QVERIFY(fs::exists(out / "controlnet_pose" / "diffusion_pytorch_model.safetensors"));  // copied
        const Image want = generate(default_request(kDefault));
        const Image got = generate(default_request(out));
        const double db = psnr(got, want);
        qInfo("default model, %s: PSNR %.2f dB against f32 (goal >= %.0f)", qPrintable(type), db, min_psnr);
        QVERIFY(db >= min_psnr);
    }

    void singleFilesSwapInForTheirComponents() {
        // --transformer FILE / --text-encoder FILE on the f32 folder give the quantized folder's image.
        const fs::path q8 = dir() / "default-Q8_0";
        QVERIFY(fs::exists(q8));
        Request r = default_request(kDefault);
        r.component_files.transformer = q8 / "transformer" / "diffusion_pytorch_model.gguf";
        r.component_files.text_encoder = q8 / "text_encoder" / "model.gguf";
        const Image swapped = generate(r);
        const Image whole = generate(default_request(q8));
        QCOMPARE(psnr(swapped, whole), std::numeric_limits<double>::infinity());
    }

    void tinyFixturesQuantizedLoadAndGenerate_data() {
        QTest::addColumn<QString>("variant");
        QTest::newRow("alpha") << "alpha";
        QTest::newRow("sigma") << "sigma";
    }
    void tinyFixturesQuantizedLoadAndGenerate() {
        QFETCH(QString, variant);
        const fs::path src = fs::path(DIT_FIXTURES) / ("tiny-pixart-" + variant.toStdString());
        for (DType t : {DType::Q8_0, DType::Q4_K, DType::F8_E4M3}) {
            const fs::path out = dir() / ("tiny-" + variant.toStdString() + "-" + dtype_name(t));
            const auto reports = quantize_model(src, out, t, {"transformer", "text_encoder"});
            Request r = default_request(src);
            r.width = 96;
            r.height = 64;
            r.steps = 4;
            const Image want = generate(r);
            r.model_dir = out;
            const double db = psnr(generate(r), want);
            qInfo("tiny %s, %s: %d + %d matrices quantized, PSNR %.2f dB", qPrintable(variant), dtype_name(t),
                  reports[0].quantized, reports[1].quantized, db);
            QVERIFY(db > 20.0);
        }
    }
};

QTEST_APPLESS_MAIN(TestQuantize)
#include "test_quantize.moc"
