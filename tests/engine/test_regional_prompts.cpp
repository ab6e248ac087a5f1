// Regional prompts (engine/pipeline/regional_prompts.h) against tools/reference/regional.py on
// the tiny PixArt-α pipeline (tests/fixtures/tiny-pixart-alpha; fixture
// tests/fixtures/regional/expected.safetensors): the token groups of two overlapping soft masks,
// one transformer forward from the prompts' text with and without guidance, on both CPU
// backends; the unconditional half untouched by regions; the request errors; Engine::generate
// with regions; the regions in the result's parameters.
#include <QtTest>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "engine/error.h"
#include "engine/io/safetensors.h"
#include "engine/models/pixart/pixart_transformer.h"
#include "engine/models/t5/t5_encoder.h"
#include "engine/models/t5/t5_tokenizer.h"
#include "engine/pipeline/engine.h"
#include "engine/pipeline/regional_prompts.h"
#include "kernels/cpu/ops.h"
#include "tests/common/test_helpers.h"

using namespace dit;
using namespace dit::testing;
namespace fs = std::filesystem;

namespace {

const fs::path kModel = fs::path(DIT_FIXTURES) / "tiny-pixart-alpha";
const fs::path kExpected = fs::path(DIT_FIXTURES) / "regional" / "expected.safetensors";
// As tools/reference/regional.py.
const char* kPrompt = "a red circle at the top left";
const char* kNegative = "blurry";
const char* kRegionPrompts[] = {"a green star", "a blue square on the right"};
constexpr int kWidth = 96, kHeight = 64, kTokenPx = 16, kMaxTokens = 120;

Tensor expected(const std::string& name) { return SafetensorsFile::open(kExpected)->load(name); }

std::vector<RegionPrompt> fixture_regions() {
    const Tensor masks = expected("masks");  // [2, H, W], 0..255
    std::vector<RegionPrompt> regions;
    for (int r = 0; r < 2; ++r) {
        RegionPrompt region{kRegionPrompts[r], Mask{kWidth, kHeight, {}}};
        for (int64_t i = 0; i < int64_t(kWidth) * kHeight; ++i)
            region.mask.value.push_back(uint8_t(masks[r * kWidth * kHeight + i]));
        regions.push_back(std::move(region));
    }
    return regions;
}

struct Models {
    T5Tokenizer tokenizer = T5Tokenizer::load(kModel / "tokenizer");
    std::unique_ptr<T5EncoderModel> t5 = T5EncoderModel::load(kModel / "text_encoder");
    std::unique_ptr<PixArtTransformer2DModel> transformer = PixArtTransformer2DModel::load(kModel / "transformer");

    // The fixture prompts are lower-case already, so no caption cleaning is needed.
    RegionalPrompts::Tokenize tokenize() const {
        return [this](const std::string& text) { return tokenizer.encode(text, kMaxTokens); };
    }
    PixArtTransformer2DModel::PromptCache global(const std::vector<std::string>& texts, kernels::Backend& ops) const {
        std::vector<int32_t> ids, mask;
        for (const auto& t : texts) {
            const auto tok = tokenizer.encode(t, kMaxTokens);
            ids.insert(ids.end(), tok.ids.begin(), tok.ids.end());
            mask.insert(mask.end(), tok.mask.begin(), tok.mask.end());
        }
        const Tensor embeds = t5->forward(ids, mask, int(texts.size()), kMaxTokens, ops);
        return transformer->encode_prompt(embeds, mask, ops);
    }
    // One forward of the fixture latent (its first `B` items from item `first`) at the fixture timestep.
    Tensor forward(const PixArtTransformer2DModel::PromptCache& prompt, const RegionalPrompts* regional, int first,
                   int B, kernels::Backend& ops) const {
        const Tensor latent = expected("latent").slice0(first, first + B);
        const Tensor t = expected("timestep");
        ForwardExtras extras;
        if (regional) regional->install(extras);
        return transformer->forward(latent, std::vector<float>(size_t(B), t[0]), prompt, kHeight, kWidth, ops,
                                    nullptr, &extras);
    }
};

kernels::Backend& backend(const QString& name) { return name == "fast" ? kernels::fast() : kernels::reference(); }

Request tiny_request() {
    Request r;
    r.model_dir = kModel;
    r.prompt = kPrompt;
    r.negative_prompt = kNegative;
    r.width = kWidth;
    r.height = kHeight;
    r.steps = 3;
    r.seed = 11;
    return r;
}

}  // namespace

class TestRegionalPrompts : public QObject {
    Q_OBJECT

private slots:
    // Max-pooled to the 16-px token grid at > 127 (the 120 edge and the 127 band claim nothing),
    // later regions winning where they overlap.
    void token_groups_match_reference() {
        const auto got = region_token_groups(fixture_regions(), kWidth, kHeight, kTokenPx);
        const Tensor want = expected("token_groups");
        QCOMPARE(int64_t(got.size()), want.numel());
        QString row;
        for (size_t i = 0; i < got.size(); ++i) {
            row += QString::number(got[i]) + (i % 6 == 5 ? " | " : " ");
            QVERIFY2(got[i] == int32_t(want[int64_t(i)]),
                     qPrintable(QString("token %1: group %2, reference %3").arg(i).arg(got[i]).arg(want[int64_t(i)])));
        }
        qInfo("token groups: %s", qPrintable(row));
    }

    void forward_matches_reference_data() {
        QTest::addColumn<QString>("backend");
        QTest::newRow("reference") << "reference";
        QTest::newRow("fast") << "fast";
    }

    // From the prompts' text through T5, the merged K/V and the grouped cross-attention to the
    // transformer's output. Tolerance 5e-6 x max|ref| (max|ref| ~ 5.8), as test_pixart: f32
    // against float64. Measured: reference backend 7e-7, fast 1.7e-6.
    void forward_matches_reference() {
        QFETCH(QString, backend);
        kernels::Backend& ops = ::backend(backend);
        const Models m;
        const auto regions = fixture_regions();
        const auto global = m.global({kNegative, kPrompt}, ops);
        const auto regional = RegionalPrompts::encode(regions, kWidth, kHeight, kTokenPx, true, global, m.tokenize(),
                                                      *m.t5, *m.transformer, ops);
        QCOMPARE(regional.regions(), 2);
        QCOMPARE(regional.prompt().L, 3 * kMaxTokens);
        const Tensor want = expected("output");
        const Tensor out = m.forward(regional.prompt(), &regional, 0, 2, ops);
        EXPECT_CLOSE(qPrintable("guided " + backend), out, want, 5e-6 * max_abs(want));

        const auto global1 = m.global({kPrompt}, ops);
        const auto regional1 = RegionalPrompts::encode(regions, kWidth, kHeight, kTokenPx, false, global1,
                                                       m.tokenize(), *m.t5, *m.transformer, ops);
        const Tensor want1 = expected("output_unguided");
        EXPECT_CLOSE(qPrintable("unguided " + backend), m.forward(regional1.prompt(), &regional1, 1, 1, ops), want1,
                     5e-6 * max_abs(want1));

        // Without regions the same call is the plain forward (the reference's output_plain).
        const Tensor plain = m.forward(global, nullptr, 0, 2, ops);
        const Tensor want_plain = expected("output_plain");
        EXPECT_CLOSE(qPrintable("plain " + backend), plain, want_plain, 5e-6 * max_abs(want_plain));
        // The unconditional half sees only its negative prompt: equal to the plain forward's
        // (1e-6 x max: only the softmax loop differs); the conditional half must change.
        const Tensor uncond = out.slice0(0, 1), uncond_plain = plain.slice0(0, 1);
        EXPECT_CLOSE("unconditional half vs no regions", uncond, uncond_plain, 1e-6 * max_abs(uncond_plain));
        const double moved = max_abs_diff(out.slice0(1, 2), plain.slice0(1, 2));
        qInfo("conditional half moved by %.3g with regions", moved);
        QVERIFY2(moved > 0.05, "the regions did not change the conditional output");
    }

    // A region whose prompt is the global prompt duplicates the global keys: the softmax splits
    // each weight over the two copies, so the output is the plain forward's (tolerance 1e-5 x
    // max: the same sums in another order).
    void region_repeating_the_global_prompt_changes_nothing() {
        kernels::Backend& ops = kernels::fast();
        const Models m;
        auto regions = fixture_regions();
        for (auto& r : regions) r.prompt = kPrompt;
        const auto global = m.global({kNegative, kPrompt}, ops);
        const auto regional = RegionalPrompts::encode(regions, kWidth, kHeight, kTokenPx, true, global, m.tokenize(),
                                                      *m.t5, *m.transformer, ops);
        const Tensor plain = m.forward(global, nullptr, 0, 2, ops);
        EXPECT_CLOSE("global prompt as region", m.forward(regional.prompt(), &regional, 0, 2, ops), plain,
                     1e-5 * max_abs(plain));
    }

    void no_regions_is_empty() {
        const Models m;
        const auto global = m.global({kPrompt}, kernels::fast());
        const auto regional = RegionalPrompts::encode({}, kWidth, kHeight, kTokenPx, false, global, m.tokenize(),
                                                      *m.t5, *m.transformer, kernels::fast());
        QVERIFY(regional.empty());
        ForwardExtras extras;
        int32_t dummy = 0;
        extras.block.query_group = extras.block.key_group = &dummy;
        regional.install(extras);
        QVERIFY(!extras.block.query_group && !extras.block.key_group);
    }

    // Errors name the region and the field, through validate_regions and Engine::generate.
    void broken_regions_are_refused() {
        auto with = [](const std::function<void(RegionPrompt&)>& edit, int index) {
            auto regions = fixture_regions();
            edit(regions[size_t(index)]);
            return regions;
        };
        EXPECT_ERROR(validate_regions(with([](RegionPrompt& r) { r.prompt = "  "; }, 1), kWidth, kHeight),
                     "region 1: prompt is empty");
        EXPECT_ERROR(validate_regions(with([](RegionPrompt& r) { r.mask.width = 48; }, 0), kWidth, kHeight),
                     "region 0: mask is 48x64 but the image is 96x64");
        EXPECT_ERROR(validate_regions(with([](RegionPrompt& r) { r.mask.value.pop_back(); }, 1), kWidth, kHeight),
                     "region 1: mask has 6143 values");
        EXPECT_ERROR(validate_regions(with([](RegionPrompt& r) { r.mask.value.assign(r.mask.value.size(), 127); }, 1),
                                      kWidth, kHeight),
                     "region 1: mask is empty");
        EXPECT_ERROR(validate_regions(with([](RegionPrompt& r) { r.mask = Mask{}; }, 0), kWidth, kHeight),
                     "region 0: mask is 0x0");
        Engine engine;
        Callbacks cb;
        Request r = tiny_request();
        r.regions = with([](RegionPrompt& reg) { reg.mask.value.assign(reg.mask.value.size(), 0); }, 0);
        EXPECT_ERROR(engine.generate(r, cb), "region 0: mask is empty");
    }

    // The whole pipeline with regions: runs, is reproducible, differs from the run without, and
    // an all-ones region works (every token in it).
    void generate_with_regions() {
        Engine engine;
        Callbacks cb;
        Request r = tiny_request();
        const Image plain = engine.generate(r, cb).image;
        r.regions = fixture_regions();
        const Result a = engine.generate(r, cb);
        const Result b = engine.generate(r, cb);
        QCOMPARE(a.image.rgb, b.image.rgb);
        int differ = 0;
        for (size_t i = 0; i < plain.rgb.size(); ++i) differ += plain.rgb[i] != a.image.rgb[i];
        qInfo("%d of %zu bytes differ from the run without regions", differ, plain.rgb.size());
        QVERIFY(differ > 0);

        const auto j = nlohmann::json::parse(a.parameters);
        QVERIFY2(j.contains("regions") && j["regions"].size() == 2, a.parameters.c_str());
        QCOMPARE(j["regions"][1]["prompt"].get<std::string>(), std::string(kRegionPrompts[1]));
        QCOMPARE(j["regions"][0]["mask_box"].dump(), std::string("[0,0,30,64]"));

        r.regions = {RegionPrompt{"a green star", Mask{kWidth, kHeight, std::vector<uint8_t>(kWidth * kHeight, 255)}}};
        r.cfg = 1.0f;  // unguided path too
        QCOMPARE(engine.generate(r, cb).image.width, kWidth);
    }
};

QTEST_APPLESS_MAIN(TestRegionalPrompts)
#include "test_regional_prompts.moc"
