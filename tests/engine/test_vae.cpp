// AutoencoderKL against tools/reference/vae.py on the tiny random VAE of
// tests/fixtures/vae (made by tools/reference/make_vae_fixture.py), on both CPU backends, plus
// the legacy-named f16 copy, loader errors, and the least-squares latent preview.
#include <QtTest>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>

#include <nlohmann/json.hpp>

#include "engine/error.h"
#include "tests/common/test_helpers.h"
#include "engine/image.h"
#include "engine/io/safetensors.h"
#include "engine/models/autoencoder_kl/autoencoder_kl.h"
#include "engine/models/latent_preview.h"
#include "kernels/cpu/ops.h"

using namespace dit;
using namespace dit::testing;
namespace fs = std::filesystem;

namespace {

const fs::path kDir = fs::path(DIT_FIXTURES) / "vae";

Tensor expected(const std::string& name) {
    return SafetensorsFile::open(kDir / "expected.safetensors")->load(name);
}


// A copy of the fixture VAE in a temporary folder with its config edited and/or its weights
// filtered, for the error and shift tests.
fs::path variant(const QTemporaryDir& tmp, const std::function<void(nlohmann::json&)>& edit_config,
                 const std::string& drop_key = "") {
    const fs::path dir = fs::path(tmp.path().toStdString()) / "vae";
    fs::create_directories(dir);
    nlohmann::json cfg;
    std::ifstream(kDir / "vae" / "config.json") >> cfg;
    edit_config(cfg);
    std::ofstream(dir / "config.json") << cfg.dump(2);
    auto src = SafetensorsFile::open(kDir / "vae" / "diffusion_pytorch_model.safetensors");
    std::map<std::string, Tensor> tensors;
    for (const auto& [name, info] : src->tensors())
        if (name != drop_key) tensors[name] = src->load(name);
    save_safetensors(dir / "diffusion_pytorch_model.safetensors", tensors);
    return dir;
}

// Sum over samples of |X b - y|^2 for a 3 x (C + 1) map.
double residual(const LatentPreview::Samples& s, const std::vector<float>& map) {
    const int64_t M = s.latents.dim(0), C = s.latents.dim(1);
    double total = 0;
    for (int64_t m = 0; m < M; ++m)
        for (int k = 0; k < 3; ++k) {
            double pred = map[k * (C + 1) + C];
            for (int64_t c = 0; c < C; ++c) pred += double(map[k * (C + 1) + c]) * s.latents[m * C + c];
            const double d = pred - s.rgb[m * 3 + k];
            total += d * d;
        }
    return total;
}

}  // namespace

class TestVae : public QObject {
    Q_OBJECT

private slots:
    void config_is_read() {
        auto vae = AutoencoderKL::load(kDir / "vae");
        const auto& c = vae->config();
        QCOMPARE(c.latent_channels, 4);
        QCOMPARE(c.downscale(), 8);
        QCOMPARE(c.scaling_factor, 0.5f);
        QCOMPARE(c.shift_factor, 0.0f);  // null in config.json
        QCOMPARE(c.norm_num_groups, 4);
        QCOMPARE(c.layers_per_block, 1);
    }

    void encode_matches_reference_data() {
        QTest::addColumn<QString>("backend");
        QTest::newRow("reference") << "reference";
        QTest::newRow("fast") << "fast";
    }
    void encode_matches_reference() {
        QFETCH(QString, backend);
        auto& ops = backend == "fast" ? kernels::fast() : kernels::reference();
        auto vae = AutoencoderKL::load(kDir / "vae");
        const Tensor z = vae->encode(expected("image"), ops);
        // f32 against the float64 PyTorch reference. Latents are about +-0.4; seen: 7e-8
        // (reference backend), 4e-7 (fast). 1e-5 leaves room for other summation orders.
        EXPECT_CLOSE("encode [1,3,32,48]", z, expected("encoded"), 1e-5);
    }

    void decode_matches_reference_data() { encode_matches_reference_data(); }
    void decode_matches_reference() {
        QFETCH(QString, backend);
        auto& ops = backend == "fast" ? kernels::fast() : kernels::reference();
        auto vae = AutoencoderKL::load(kDir / "vae");
        const Tensor x = vae->decode(expected("latent"), ops);
        // The decoded image is about +-3 on this random VAE; seen: 9e-7 (reference), 3e-6
        // (fast). 5e-5 is ~2e-5 relative.
        EXPECT_CLOSE("decode [1,4,4,6]", x, expected("decoded"), 5e-5);
    }

    void legacy_names_give_the_same() {
        // vae_legacy: query/key/value/proj_attn as [C, C, 1, 1], stored f16 but holding exactly
        // the f32 copy's values, so the outputs agree to rounding noise (1e-6).
        auto& ops = kernels::fast();
        auto vae = AutoencoderKL::load(kDir / "vae");
        auto legacy = AutoencoderKL::load(kDir / "vae_legacy");
        EXPECT_CLOSE("legacy encode", legacy->encode(expected("image"), ops),
                     vae->encode(expected("image"), ops), 1e-6);
        EXPECT_CLOSE("legacy decode", legacy->decode(expected("latent"), ops),
                     vae->decode(expected("latent"), ops), 1e-6);
    }

    void batch_items_are_independent() {
        // Two different images in one batch give each one's single-image result (1e-5).
        auto& ops = kernels::fast();
        auto vae = AutoencoderKL::load(kDir / "vae");
        const Tensor a = expected("image");
        Tensor b(a.shape());
        for (int64_t i = 0; i < b.numel(); ++i) b[i] = -0.5f * a[(i * 7) % a.numel()];
        Tensor both({2, 3, 32, 48});
        std::copy(a.data(), a.data() + a.numel(), both.data());
        std::copy(b.data(), b.data() + b.numel(), both.data() + a.numel());
        const Tensor z = vae->encode(both, ops);
        QCOMPARE(z.shape(), (Shape{2, 4, 4, 6}));
        EXPECT_CLOSE("batch item 0", z.slice0(0, 1).clone(), vae->encode(a, ops), 1e-5);
        EXPECT_CLOSE("batch item 1", z.slice0(1, 2).clone(), vae->encode(b, ops), 1e-5);
        const Tensor x = vae->decode(z, ops);
        QCOMPARE(x.shape(), (Shape{2, 3, 32, 48}));
        EXPECT_CLOSE("decode batch item 1", x.slice0(1, 2).clone(), vae->decode(z.slice0(1, 2).clone(), ops),
                     1e-5);
    }

    void shift_factor_is_applied() {
        // With shift s and scale k: encode gives (mean - s) k and decode(z) = D(z / k + s), so
        // against the unshifted VAE: encode' = encode - s k, decode'(z) = decode(z + s k).
        QTemporaryDir tmp;
        const auto dir = variant(tmp, [](nlohmann::json& c) { c["shift_factor"] = 0.3; });
        auto& ops = kernels::fast();
        auto plain = AutoencoderKL::load(kDir / "vae");
        auto shifted = AutoencoderKL::load(dir);
        QCOMPARE(shifted->config().shift_factor, 0.3f);
        Tensor want = plain->encode(expected("image"), ops);
        for (int64_t i = 0; i < want.numel(); ++i) want[i] -= 0.3f * 0.5f;
        EXPECT_CLOSE("shifted encode", shifted->encode(expected("image"), ops), want, 1e-6);
        Tensor moved = expected("latent").clone();
        for (int64_t i = 0; i < moved.numel(); ++i) moved[i] += 0.3f * 0.5f;
        EXPECT_CLOSE("shifted decode", shifted->decode(expected("latent"), ops), plain->decode(moved, ops), 1e-5);
    }

    void missing_key_is_named() {
        QTemporaryDir tmp;
        const std::string key = "decoder.mid_block.attentions.0.to_k.weight";
        const auto dir = variant(tmp, [](nlohmann::json&) {}, key);
        try {
            AutoencoderKL::load(dir);
            QFAIL("loading a VAE without a weight did not throw");
        } catch (const Error& e) {
            qInfo("error: %s", e.what());
            QVERIFY2(std::string(e.what()).find(key) != std::string::npos, e.what());
        }
    }

    void misshaped_key_is_named() {
        // A checkpoint for a wider VAE: every conv is then mis-shaped; the message names them.
        QTemporaryDir tmp;
        const auto dir = variant(tmp, [](nlohmann::json& c) { c["block_out_channels"] = {8, 8, 16, 32}; });
        try {
            AutoencoderKL::load(dir);
            QFAIL("loading mis-shaped weights did not throw");
        } catch (const Error& e) {
            QVERIFY2(std::string(e.what()).find("encoder.mid_block.resnets.0.conv1.weight") != std::string::npos,
                     e.what());
        }
    }

    void bad_config_is_named() {
        QTemporaryDir tmp;
        const auto dir = variant(tmp, [](nlohmann::json& c) {
            c["down_block_types"][1] = "AttnDownEncoderBlock2D";
        });
        QVERIFY_THROWS_EXCEPTION(Error, AutoencoderKL::load(dir));
        try {
            AutoencoderKL::load(dir);
        } catch (const Error& e) {
            QVERIFY2(std::string(e.what()).find("down_block_types") != std::string::npos, e.what());
        }
        QTemporaryDir tmp2;
        const auto dir2 = variant(tmp2, [](nlohmann::json& c) { c["norm_num_groups"] = 3; });
        try {
            AutoencoderKL::load(dir2);
            QFAIL("norm_num_groups 3 with 8 channels did not throw");
        } catch (const Error& e) {
            QVERIFY2(std::string(e.what()).find("norm_num_groups") != std::string::npos, e.what());
        }
    }

    void bad_inputs_throw() {
        auto vae = AutoencoderKL::load(kDir / "vae");
        auto& ops = kernels::fast();
        QVERIFY_THROWS_EXCEPTION(Error, vae->encode(Tensor({1, 3, 30, 48}), ops));  // not a multiple of 8
        QVERIFY_THROWS_EXCEPTION(Error, vae->encode(Tensor({1, 4, 32, 32}), ops));
        QVERIFY_THROWS_EXCEPTION(Error, vae->decode(Tensor({1, 3, 4, 4}), ops));
        QVERIFY_THROWS_EXCEPTION(Error, vae->decode(Tensor({4, 4, 4}), ops));
    }

    void cancel_is_honoured() {
        auto vae = AutoencoderKL::load(kDir / "vae");
        int polls = 0;
        std::function<bool()> cancel = [&] { return ++polls >= 2; };
        QVERIFY_THROWS_EXCEPTION(Cancelled, vae->decode(expected("latent"), kernels::fast(), &cancel));
        QCOMPARE(polls, 2);
        polls = 0;
        QVERIFY_THROWS_EXCEPTION(Cancelled, vae->encode(expected("image"), kernels::fast(), &cancel));
        std::function<bool()> never = [] { return false; };
        QCOMPARE(vae->decode(expected("latent"), kernels::fast(), &never).shape(), (Shape{1, 3, 32, 48}));
    }

    void preview_recovers_an_exact_linear_map() {
        // Samples generated by a known map are fitted back to it (1e-4: float samples, double
        // normal equations).
        const int C = 4;
        const std::vector<float> truth = {0.5f, -0.2f, 0.1f, 0.3f, 0.05f,   //
                                          -0.1f, 0.4f, 0.2f, -0.3f, -0.1f,  //
                                          0.2f, 0.1f, -0.6f, 0.1f, 0.2f};
        LatentPreview::Samples s{Tensor({64, C}), Tensor({64, 3})};
        uint32_t state = 12345;
        for (int64_t i = 0; i < s.latents.numel(); ++i) {
            state = state * 1664525u + 1013904223u;
            s.latents[i] = float(state >> 8) / float(1 << 24) * 2 - 1;
        }
        LatentPreview exact(truth, C);
        for (int64_t m = 0; m < 64; ++m) {
            Tensor z = Tensor::from({1, C, 1, 1}, {s.latents[m * C], s.latents[m * C + 1], s.latents[m * C + 2],
                                                    s.latents[m * C + 3]});
            const Tensor rgb = exact.apply(z);
            for (int k = 0; k < 3; ++k) s.rgb[m * 3 + k] = rgb[k];
        }
        const auto fitted = LatentPreview::from_samples(s);
        double err = 0;
        for (size_t i = 0; i < truth.size(); ++i) err = std::max(err, double(std::abs(fitted.matrix()[i] - truth[i])));
        qInfo("recovered map: max abs error %.3g (tolerance 1e-4)", err);
        QVERIFY(err <= 1e-4);
    }

    void preview_fit_is_least_squares_data() { encode_matches_reference_data(); }
    void preview_fit_is_least_squares() {
        QFETCH(QString, backend);
        auto& ops = backend == "fast" ? kernels::fast() : kernels::reference();
        auto vae = AutoencoderKL::load(kDir / "vae");
        const auto s = LatentPreview::calibration_samples(*vae, ops);
        QCOMPARE(s.latents.shape(), (Shape{8 * 16, 4}));  // 8 images of 32 px -> 4x4 latents each
        const auto preview = LatentPreview::fit(*vae, ops);
        QCOMPARE(preview.matrix().size(), size_t(3 * 5));
        // Deterministic: a second fit gives the same numbers bit for bit.
        QVERIFY(LatentPreview::fit(*vae, ops).matrix() == preview.matrix());
        QVERIFY(LatentPreview::from_samples(s).matrix() == preview.matrix());

        // The least-squares map beats the zero map and every small perturbation of itself.
        const double best = residual(s, preview.matrix());
        const double zero = residual(s, std::vector<float>(15, 0.0f));
        qInfo("preview residual %.4g vs zero map %.4g over %lld samples", best, zero,
              (long long)s.latents.dim(0));
        QVERIFY(best < zero);
        for (size_t i = 0; i < preview.matrix().size(); ++i)
            for (float delta : {-1e-2f, 1e-2f}) {
                auto m = preview.matrix();
                m[i] += delta;
                QVERIFY2(residual(s, m) >= best * (1 - 1e-6),
                         qPrintable(QString("perturbing entry %1 by %2 lowered the residual").arg(i).arg(delta)));
            }
    }

    void preview_renders_one_pixel_per_latent_pixel() {
        auto vae = AutoencoderKL::load(kDir / "vae");
        auto& ops = kernels::fast();
        const auto preview = LatentPreview::fit(*vae, ops);
        const Tensor z = vae->encode(LatentPreview::calibration_images(32).slice0(0, 1).clone(), ops);  // red
        const Image img = preview.render(z);
        QCOMPARE(img.width, 4);
        QCOMPARE(img.height, 4);
        QCOMPARE(img.rgb.size(), size_t(4 * 4 * 3));
        const Image direct = image_from_tensor(preview.apply(z));
        QVERIFY(direct.rgb == img.rgb);
        // Informational: how red the solid red calibration image renders with the random VAE.
        qInfo("solid red (230, 25, 25) renders as (%d, %d, %d) at pixel (1, 1)", img.rgb[(4 + 1) * 3],
              img.rgb[(4 + 1) * 3 + 1], img.rgb[(4 + 1) * 3 + 2]);
        QVERIFY_THROWS_EXCEPTION(Error, preview.render(Tensor({1, 3, 4, 4})));
    }

    void real_size_vae() {
        // Opt-in: a random VAE of SD's real size (32 groups, 512 channels, 2 layers per block),
        // written by `make_vae_fixture.py --sd-size DIR` and pointed to by DIT_VAE_SD_DIR.
        const char* env = std::getenv("DIT_VAE_SD_DIR");
        if (!env || !*env) QSKIP("set DIT_VAE_SD_DIR (see tools/reference/make_vae_fixture.py --sd-size)");
        const fs::path dir(env);
        auto file = SafetensorsFile::open(dir / "expected.safetensors");
        QElapsedTimer timer;
        timer.start();
        auto vae = AutoencoderKL::load(dir / "vae");
        qInfo("load (f16 -> f32): %lld ms", (long long)timer.restart());
        auto& ops = kernels::fast();
        const Tensor z = vae->encode(file->load("image"), ops);
        qInfo("encode 64x64: %lld ms", (long long)timer.restart());
        // Latents about +-0.1 here, images about +-2 (seen: 2e-7 and 3e-6, fast backend).
        EXPECT_CLOSE("SD-size encode", z, file->load("encoded"), 1e-5);
        const Tensor x = vae->decode(file->load("latent"), ops);
        qInfo("decode 8x8: %lld ms", (long long)timer.restart());
        EXPECT_CLOSE("SD-size decode", x, file->load("decoded"), 5e-5);
        timer.restart();
        const auto preview = LatentPreview::fit(*vae, ops);
        qInfo("LatentPreview::fit: %lld ms", (long long)timer.elapsed());
    }
};

QTEST_APPLESS_MAIN(TestVae)
#include "test_vae.moc"
