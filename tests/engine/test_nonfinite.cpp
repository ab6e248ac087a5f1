// A checkpoint whose weights hold NaN used to write an all-black PNG without a word. The run now
// stops with an error naming the step and the component that first went non-finite
// (engine/pipeline/finite_check.h). The broken models are the tiny PixArt-α fixture with one
// weight set to NaN or infinity (the transformer's proj_out, the VAE decoder's conv_out), made
// in a temporary folder; a NaN noise file shows the initial latent's check.
#include <QtTest>

#include <cmath>
#include <filesystem>
#include <limits>
#include <map>

#include "engine/error.h"
#include "engine/io/npy.h"
#include "engine/io/safetensors.h"
#include "engine/pipeline/engine.h"
#include "engine/pipeline/finite_check.h"
#include "tests/common/test_helpers.h"

using namespace dit;
using namespace dit::testing;
namespace fs = std::filesystem;

namespace {

// The tiny α pipeline copied to `tmp`, with weight `key` of `component` given `value` at its
// first element (stored back as f32).
fs::path broken_copy(const QTemporaryDir& tmp, const std::string& component, const std::string& key, float value) {
    const fs::path root = fs::path(tmp.path().toStdString()) / "model";
    fs::copy(fs::path(DIT_FIXTURES) / "tiny-pixart-alpha", root, fs::copy_options::recursive);
    const fs::path file = root / component / "diffusion_pytorch_model.safetensors";
    std::map<std::string, Tensor> tensors;
    {
        auto src = SafetensorsFile::open(file);
        for (const auto& [name, info] : src->tensors()) tensors[name] = src->load(name).to_f32().clone();
    }
    if (!tensors.count(key)) qFatal("fixture lacks %s", key.c_str());
    tensors[key].data()[0] = value;
    fs::remove(file);
    save_safetensors(file, tensors);
    return root;
}

Request request(const fs::path& model) {
    Request r;
    r.model_dir = model;
    r.prompt = "a red circle";
    r.width = 96;
    r.height = 64;
    r.steps = 4;
    r.seed = 3;
    return r;
}

}  // namespace

class TestNonFinite : public QObject {
    Q_OBJECT

private slots:
    void nan_transformer_weight_stops_at_step_1() {
        QTemporaryDir tmp;
        const fs::path model = broken_copy(tmp, "transformer", "proj_out.weight", std::numeric_limits<float>::quiet_NaN());
        Engine engine;
        Callbacks cb;
        int previews = 0;
        cb.preview = [&](const Image&, const Progress&) { ++previews; };
        EXPECT_ERROR_PARTS(engine.generate(request(model), cb), "step 1/4: the transformer output is not finite",
                           "are NaN", "weights may hold NaN");
        QCOMPARE(previews, 0);  // stopped before the first step's preview
    }

    void infinite_vae_weight_names_the_vae() {
        QTemporaryDir tmp;
        const fs::path model = broken_copy(tmp, "vae", "decoder.conv_out.weight", std::numeric_limits<float>::infinity());
        Engine engine;
        Callbacks cb;
        EXPECT_ERROR_PARTS(engine.generate(request(model), cb), "after step 4/4: the VAE output (decoded image) is not finite");
    }

    void nan_noise_file_names_the_initial_latent() {
        QTemporaryDir tmp;
        const fs::path npy = fs::path(tmp.path().toStdString()) / "noise.npy";
        Tensor noise({1, 4, 8, 12}, 0.5f);
        noise.data()[7] = std::numeric_limits<float>::quiet_NaN();
        write_npy(npy, noise);
        Request r = request(fs::path(DIT_FIXTURES) / "tiny-pixart-alpha");
        r.noise_file = npy;
        Engine engine;
        Callbacks cb;
        EXPECT_ERROR_PARTS(engine.generate(r, cb), "before the first step: the initial latent (noise) is not finite",
                           "1 of 384 values are NaN", "the noise file holds NaN");
    }

    void finite_runs_are_untouched() {
        Engine engine;
        Callbacks cb;
        const Result res = engine.generate(request(fs::path(DIT_FIXTURES) / "tiny-pixart-alpha"), cb);
        QCOMPARE(res.image.width, 96);
        require_finite(Tensor({3}, 1.0f), "latent", step_label(1, 1));  // no throw
        EXPECT_ERROR_PARTS(require_finite(Tensor::from({2}, {1.0f, -INFINITY}), "latent", step_label(2, 5)),
                           "step 2/5: the latent is not finite (1 of 2 values are infinite)");
    }
};

QTEST_APPLESS_MAIN(TestNonFinite)
#include "test_nonfinite.moc"
