// AutoencoderDC (DC-AE) against tools/reference/autoencoder_dc.py on the tiny random models of
// tests/fixtures/autoencoder_dc (made by tools/reference/make_autoencoder_dc_fixture.py), on the
// reference, fast and isolated backends: encode, decode, tiled decode (against the reference's
// tiled decode, and against the untiled decode), and the loader's errors for inconsistent
// configs and missing weights.
//
// Tolerance: max |got - want| <= 1e-3 * max(1, max |want|) against the float64 reference; f32
// arithmetic through ~20 convolutions and the linear attentions lands near 1e-5 of that scale.
#include <QtTest>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>

#include <nlohmann/json.hpp>

#include "engine/error.h"
#include "engine/io/npy.h"
#include "engine/io/safetensors.h"
#include "engine/io/weights.h"
#include "engine/models/autoencoder_dc/autoencoder_dc.h"
#include "kernels/cpu/ops.h"
#include "tests/common/test_helpers.h"
#include "tests/engine/loader_helpers.h"

using namespace dit;
using namespace dit::testing;
namespace fs = std::filesystem;

namespace {

const fs::path kDir = fs::path(DIT_FIXTURES) / "autoencoder_dc";
const DCTiling kTiling{4, 3};

Tensor expected(const std::string& name) { return read_npy(kDir / (name + ".npy")); }

// The suite's tolerance for an output against the float64 reference.
double tolerance(const Tensor& want) { return 1e-3 * std::max(1.0, max_abs(want)); }

std::vector<kernels::Backend*> backends() { return {&kernels::reference(), &kernels::fast(), &kernels::isolated()}; }

// A copy of the fixture model in `tmp` with its config and tensors edited.
fs::path variant(const QTemporaryDir& tmp, const std::function<void(nlohmann::json&)>& edit_config,
                 const std::function<void(std::map<std::string, Tensor>&)>& edit_tensors = {}) {
    return edited_component(kDir / "vae", fs::path(tmp.path().toStdString()) / "vae",
                            "diffusion_pytorch_model.safetensors", edit_config, edit_tensors);
}

}  // namespace

class TestAutoencoderDC : public QObject {
    Q_OBJECT

private slots:
    void encode_matches_reference() {
        const Tensor image = expected("image");
        for (const char* name : {"vae", "vae_shuffle"}) {
            for (kernels::Backend* ops : backends()) {
                const auto vae = AutoencoderDC::load(kDir / name, *ops);
                QCOMPARE(vae->config().downscale(), 8);
                const Tensor want = expected(std::string(name) + "_encoded");
                EXPECT_CLOSE(qPrintable(QString("%1 encode on %2").arg(name, ops->name())), vae->encode(image, *ops),
                             want, tolerance(want));
            }
        }
    }

    void decode_matches_reference() {
        for (const char* name : {"vae", "vae_shuffle"}) {
            const Tensor latent = expected(std::string(name) + "_latent");
            for (kernels::Backend* ops : backends()) {
                const auto vae = AutoencoderDC::load(kDir / name, *ops);
                const Tensor want = expected(std::string(name) + "_decoded");
                EXPECT_CLOSE(qPrintable(QString("%1 decode on %2").arg(name, ops->name())), vae->decode(latent, *ops),
                             want, tolerance(want));
            }
        }
    }

    void tiled_decode_matches_reference() {
        // Tiles of 4 latent pixels every 3 over an 8 x 12 latent: 3 x 4 tiles, the last row and
        // column 2 pixels wide, so the blend extents shrink and the small tiles' attention runs
        // in diffusers' quadratic order in the reference.
        for (const char* name : {"vae", "vae_shuffle"}) {
            const Tensor latent = expected(std::string(name) + "_latent");
            for (kernels::Backend* ops : {&kernels::reference(), &kernels::fast()}) {
                const auto vae = AutoencoderDC::load(kDir / name, *ops);
                const Tensor want = expected(std::string(name) + "_decoded_tiled");
                EXPECT_CLOSE(qPrintable(QString("%1 tiled decode on %2").arg(name, ops->name())),
                             vae->decode_tiled(latent, *ops, kTiling), want, tolerance(want));
            }
        }
    }

    void tiled_decode_against_untiled() {
        const auto vae = AutoencoderDC::load(kDir / "vae");
        const Tensor latent = expected("vae_latent");
        const Tensor whole = vae->decode(latent, kernels::fast());
        // A tile as large as the latent is the untiled decode itself, bit for bit.
        const Tensor one = vae->decode_tiled(latent, kernels::fast(), DCTiling{12, 10});
        QCOMPARE(max_abs_diff(one, whole), 0.0);
        // Real tiles see only their part of the picture (the linear attention is global per
        // tile), so on random weights they differ: two tiles of 8 latent pixels overlapping by 2
        // measure a mean |tiled - untiled| of 24% of the picture's mean magnitude (tiles of 4
        // every 3: 50%); the bound is 35%. The exact tiled result is checked against the
        // reference above.
        const Tensor tiled = vae->decode_tiled(latent, kernels::fast(), DCTiling{8, 6});
        QCOMPARE(tiled.shape(), whole.shape());
        double diff = 0, mag = 0;
        for (int64_t i = 0; i < whole.numel(); ++i) {
            diff += std::abs(double(tiled[i]) - whole[i]);
            mag += std::abs(double(whole[i]));
        }
        qInfo("tiled vs untiled: mean |diff| %.4f, mean |untiled| %.4f", diff / whole.numel(), mag / whole.numel());
        QVERIFY(diff < 0.35 * mag);
        QVERIFY(diff > 0);  // the tiles did run apart
    }

    void bad_shapes_are_refused() {
        const auto vae = AutoencoderDC::load(kDir / "vae");
        QVERIFY(error_of([&] { vae->encode(Tensor({1, 3, 60, 96}), kernels::fast()); }).find("multiples of 8") !=
                std::string::npos);
        QVERIFY(error_of([&] { vae->decode(Tensor({1, 3, 8, 8}), kernels::fast()); }).find("[N, 4, h, w]") !=
                std::string::npos);
        QVERIFY(error_of([&] { vae->decode_tiled(Tensor({1, 4, 8, 8}), kernels::fast(), DCTiling{2, 3}); })
                    .find("stride") != std::string::npos);
    }

    // --- loader errors ----------------------------------------------------------------------

    void inconsistent_configs_name_the_field() {
        struct Case {
            const char* field;
            std::function<void(nlohmann::json&)> edit;
            const char* says;
        };
        const std::vector<Case> cases = {
            {"heads", [](nlohmann::json& c) { c["attention_head_dim"] = 5; }, "not a multiple of attention_head_dim"},
            {"stages", [](nlohmann::json& c) { c["encoder_layers_per_block"] = {1, 1, 1}; },
             "encoder_layers_per_block lists 3 stages"},
            {"mirror", [](nlohmann::json& c) { c["decoder_block_out_channels"] = {8, 16, 32}; },
             "decoder_block_out_channels"},
            {"latent", [](nlohmann::json& c) { c["latent_channels"] = 5; }, "latent_channels = 5 does not divide"},
            {"shortcut", [](nlohmann::json& c) { c["encoder_block_out_channels"] = {8, 24, 16, 32}; },
             "cannot shortcut"},
            {"types", [](nlohmann::json& c) { c["decoder_block_types"] = {"ResBlock", "ResBlock"}; },
             "decoder_block_types lists 2 entries"},
            {"block", [](nlohmann::json& c) { c["encoder_block_types"] = "AttnBlock"; }, "supported: ResBlock"},
            {"norm", [](nlohmann::json& c) { c["decoder_norm_types"] = "batch_norm"; }, "decoder_norm_types"},
            {"act", [](nlohmann::json& c) { c["decoder_act_fns"] = "gelu"; }, "decoder_act_fns"},
            {"down", [](nlohmann::json& c) { c["downsample_block_type"] = "avgpool"; }, "downsample_block_type"},
            {"scales", [](nlohmann::json& c) { c["decoder_qkv_multiscales"] = nlohmann::json::parse("[[], [], [4], [5]]"); }, "odd integers"},
            {"first", [](nlohmann::json& c) { c["encoder_layers_per_block"] = {0, 1, 1, 2}; }, "[0] is 0"},
            {"type", [](nlohmann::json& c) { c["latent_channels"] = "four"; }, "latent_channels"},
        };
        for (const Case& k : cases) {
            QTemporaryDir tmp;
            const fs::path dir = variant(tmp, k.edit);
            const std::string msg = error_of([&] { AutoencoderDC::load(dir); });
            qInfo("%s: %s", k.field, msg.c_str());
            QVERIFY2(msg.find(k.says) != std::string::npos, msg.c_str());
            QVERIFY2(msg.find("config.json") != std::string::npos, msg.c_str());
            QVERIFY(msg.front() != '\n');
        }
    }

    void missing_and_misshaped_weights_name_the_key() {
        QTemporaryDir tmp;
        const fs::path dir = variant(tmp, [](nlohmann::json&) {}, [](std::map<std::string, Tensor>& t) {
            t.erase("decoder.up_blocks.2.1.attn.to_qkv_multiscale.0.proj_out.weight");
            t["encoder.conv_out.bias"] = Tensor({7});
        });
        const std::string msg = error_of([&] { AutoencoderDC::load(dir); });
        qInfo("%s", msg.c_str());
        QVERIFY2(msg.find("decoder.up_blocks.2.1.attn.to_qkv_multiscale.0.proj_out.weight") != std::string::npos,
                 msg.c_str());
        QVERIFY2(msg.find("encoder.conv_out.bias") != std::string::npos, msg.c_str());
    }

    void missing_config_names_the_file() {
        QTemporaryDir tmp;
        const std::string msg = error_of([&] { AutoencoderDC::load(fs::path(tmp.path().toStdString())); });
        QVERIFY2(msg.find("config.json") != std::string::npos, msg.c_str());
    }
};

QTEST_GUILESS_MAIN(TestAutoencoderDC)
#include "test_autoencoder_dc.moc"
