// The model family comes from model_index.json's "_class_name" (engine/pipeline/model_family.h):
// the PixArt classes load the PixArt pipeline and the Sana classes the Sana one; any
// other class (an SDXL folder) or none is refused by name with the supported list, through both
// the pipeline loader and Engine::generate, before any component is read.
#include <QtTest>

#include <filesystem>
#include <fstream>

#include "engine/error.h"
#include "engine/io/config.h"
#include "engine/pipeline/engine.h"
#include "engine/pipeline/model_family.h"
#include "engine/pipeline/pixart_pipeline.h"
#include "engine/pipeline/sana_pipeline.h"
#include "tests/common/test_helpers.h"

using namespace dit;
using namespace dit::testing;
namespace fs = std::filesystem;

namespace {

// A folder of just model_index.json (the class check comes first, so no component is needed),
// or with `copy_from`'s components as well.
fs::path folder_with_class(const QTemporaryDir& tmp, const std::string& index_json, const fs::path& copy_from = {}) {
    const fs::path root = fs::path(tmp.path().toStdString()) / "model";
    fs::create_directories(root);
    if (!copy_from.empty()) fs::copy(copy_from, root, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
    std::ofstream(root / "model_index.json") << index_json;
    return root;
}

const std::string kComponents =
    "\"scheduler\": [\"diffusers\", \"DPMSolverMultistepScheduler\"], "
    "\"text_encoder\": [\"transformers\", \"T5EncoderModel\"], \"tokenizer\": [\"transformers\", \"T5Tokenizer\"], "
    "\"transformer\": [\"diffusers\", \"PixArtTransformer2DModel\"], \"vae\": [\"diffusers\", \"AutoencoderKL\"]";

}  // namespace

class TestModelFamily : public QObject {
    Q_OBJECT

private slots:
    void pixart_classes_run() {
        for (const char* name : {"tiny-pixart-alpha", "tiny-pixart-sigma"}) {
            const auto folder = DiffusersFolder::open(fs::path(DIT_FIXTURES) / name);
            const ModelFamily f = runnable_family(folder);
            QCOMPARE(f, std::string(name) == "tiny-pixart-alpha" ? ModelFamily::PixArtAlpha : ModelFamily::PixArtSigma);
        }
        const auto p = PixArtPipeline::load(fs::path(DIT_FIXTURES) / "tiny-pixart-sigma", kernels::fast());
        QCOMPARE(p->max_tokens(), 300);
    }

    void unknown_class_is_refused_by_name() {
        // A PixArt folder's files under another pipeline's class: refused, not run as PixArt.
        QTemporaryDir tmp;
        const fs::path root = folder_with_class(tmp, "{\"_class_name\": \"StableDiffusionXLPipeline\", " + kComponents + "}",
                                                fs::path(DIT_FIXTURES) / "tiny-pixart-sigma");
        EXPECT_ERROR_PARTS(PixArtPipeline::load(root, kernels::fast()), "model_index.json",
                           "pipeline class 'StableDiffusionXLPipeline' is not supported",
                           "supported: PixArtAlphaPipeline, PixArtSigmaPipeline", "SanaPipeline");
        Engine engine;
        Request r;
        r.model_dir = root;
        r.prompt = "a red cube";
        Callbacks cb;
        EXPECT_ERROR_PARTS(engine.generate(r, cb), "StableDiffusionXLPipeline",
                           "PixArtSigmaPipeline");
    }

    void missing_class_is_refused() {
        QTemporaryDir tmp;
        const fs::path root = folder_with_class(tmp, "{" + kComponents + "}");
        EXPECT_ERROR_PARTS(PixArtPipeline::load(root, kernels::fast()), "model_index.json", "'_class_name' is missing",
                           "PixArtAlphaPipeline, PixArtSigmaPipeline");
    }

    void sana_classes_load_the_sana_pipeline() {
        for (const char* name : {"sana", "sprint", "controlnet"}) {
            const auto folder = DiffusersFolder::open(fs::path(DIT_FIXTURES) / "sana_pipeline" / name);
            const ModelFamily want = std::string(name) == "sana"     ? ModelFamily::Sana
                                     : std::string(name) == "sprint" ? ModelFamily::SanaSprint
                                                                     : ModelFamily::SanaControlNet;
            QCOMPARE(runnable_family(folder), want);
            QVERIFY(dynamic_cast<SanaPipeline*>(load_pipeline(folder.root(), kernels::fast()).get()));
            // The PixArt loader itself refuses a Sana folder by family.
            EXPECT_ERROR_PARTS(PixArtPipeline::load(folder.root(), kernels::fast()), family_name(want),
                               "runs PixArt only");
        }
        QVERIFY(dynamic_cast<PixArtPipeline*>(
            load_pipeline(fs::path(DIT_FIXTURES) / "tiny-pixart-alpha", kernels::fast()).get()));
        QCOMPARE(QString(family_name(ModelFamily::SanaSprint)), QString("Sana-Sprint"));
        QCOMPARE(int(pipeline_classes().size()), 5);
    }
};

QTEST_APPLESS_MAIN(TestModelFamily)
#include "test_model_family.moc"
