// Grouped sparse self-attention in the PixArt engine (issue 21; kernels/cpu/grat_attention.*,
// engine/pipeline/attention_choice.*):
//  - a forward whose single group covers the whole token grid equals the plain forward (up to
//    the order of the attention sums), on the reference and the fast backend;
//  - a sparse grouping changes the forward (the option reaches the blocks), and a lazy cached
//    forward keeps full attention over its cache;
//  - "full" and the default "auto" at small sizes are bit-identical whole generations;
//  - the settings: parsing, auto's threshold, a group that does not divide the grid, and the
//    parameters JSON round trip.
// Tolerance: 1e-5 x max|plain| for the covering group (f32 sums in another order).
#include <QtTest>

#include <cmath>
#include <filesystem>

#include "engine/error.h"
#include "engine/models/pixart/pixart_transformer.h"
#include "engine/pipeline/attention_choice.h"
#include "engine/pipeline/engine.h"
#include "engine/pipeline/parameters.h"
#include "engine/random.h"
#include "tests/common/test_helpers.h"

using namespace dit;
using dit::testing::max_abs;
using dit::testing::max_abs_diff;

namespace {

const std::filesystem::path kTiny = std::filesystem::path(DIT_FIXTURES) / "tiny-pixart-alpha";

Request tiny_request(const std::string& attention) {
    Request r;
    r.model_dir = kTiny;
    r.prompt = "a red circle at the top left";
    r.width = 96;
    r.height = 64;
    r.steps = 3;
    r.seed = 5;
    r.attention = attention;
    return r;
}

QString message_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return QString::fromStdString(e.what());
    }
    return "no error";
}

}  // namespace

class TestGroupedAttention : public QObject {
    Q_OBJECT

private slots:
    void forward_with_covering_group_equals_plain_data() {
        QTest::addColumn<bool>("fast");
        QTest::newRow("reference") << false;
        QTest::newRow("fast") << true;
    }
    void forward_with_covering_group_equals_plain() {
        QFETCH(bool, fast);
        kernels::Backend& ops = fast ? kernels::fast() : kernels::reference();
        auto t = PixArtTransformer2DModel::load(kTiny / "transformer");
        const int64_t B = 2, L = 5, H = 16, W = 16;  // an 8 x 8 token grid
        const Tensor embeds = randn({B, L, t->config().caption_channels}, 3);
        const std::vector<int32_t> mask(size_t(B * L), 1);
        const auto prompt = t->encode_prompt(embeds, mask, ops);
        const Tensor latent = randn({B, 4, H, W}, 4);
        const std::vector<float> ts{300.f, 300.f};
        const Tensor plain = t->forward(latent, ts, prompt, 128, 128, ops);

        ForwardExtras extras;
        extras.block.grat_group = 4;  // 2 x 2 blocks: radius 1 reaches every one
        const Tensor covered = t->forward(latent, ts, prompt, 128, 128, ops, nullptr, &extras);
        const double err = max_abs_diff(covered, plain), tol = 1e-5 * max_abs(plain);
        if (err > tol) qWarning("covering groups vs plain: max abs error %g > %g", err, tol);
        QVERIFY(err <= tol);

        extras.block.grat_group = 2;  // 4 x 4 blocks: far blocks off the band are dropped
        const Tensor sparse = t->forward(latent, ts, prompt, 128, 128, ops, nullptr, &extras);
        QVERIFY2(max_abs_diff(sparse, plain) > 100 * tol, "a sparse grouping left the forward unchanged");

        extras.block.grat_group = 3;  // does not divide the grid: refused by the kernel
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, t->forward(latent, ts, prompt, 128, 128, ops, nullptr, &extras));
    }

    void lazy_forward_keeps_full_attention_over_its_cache() {
        kernels::Backend& ops = kernels::fast();
        auto t = PixArtTransformer2DModel::load(kTiny / "transformer");
        const int64_t B = 1, H = 8, W = 8, N = 16;
        const Tensor embeds = randn({B, 3, t->config().caption_channels}, 8);
        const auto prompt = t->encode_prompt(embeds, std::vector<int32_t>(3, 1), ops);
        const Tensor latent = randn({B, 4, H, W}, 9);
        const std::vector<float> ts{700.f};
        auto lazy_output = [&](int64_t group) {
            LazyTokens lazy;
            for (int32_t i = 0; i < N; ++i) (i % 4 == 0 ? lazy.active : lazy.cached).push_back(i);
            ForwardExtras extras;
            extras.lazy = &lazy;
            (void)t->forward(latent, ts, prompt, 64, 64, ops, nullptr, &extras);  // refresh: full attention
            lazy.refresh = false;
            extras.block.grat_group = group;
            return t->forward(latent, ts, prompt, 64, 64, ops, nullptr, &extras);
        };
        QCOMPARE(max_abs_diff(lazy_output(1), lazy_output(0)), 0.0);
    }

    void full_and_small_auto_generations_are_identical() {
        Engine engine;
        Callbacks cb;
        const Image full = engine.generate(tiny_request("full"), cb).image;
        const Image automatic = engine.generate(tiny_request("auto"), cb).image;
        QVERIFY(full.rgb == automatic.rgb);
        const Image grouped = engine.generate(tiny_request("grouped:2"), cb).image;
        QCOMPARE(grouped.width, 96);
        QVERIFY(grouped.rgb != full.rgb);
    }

    void settings() {
        QCOMPARE(grat_group_for("full", 256, 256, 16), int64_t(0));
        QCOMPARE(grat_group_for("grouped", 64, 64, 16), kDefaultGratGroup);
        QCOMPARE(grat_group_for("grouped:16", 64, 128, 16), int64_t(16));
        QCOMPARE(grat_group_for("auto", 128, 128, 16), int64_t(0));   // 16k tokens: full
        QCOMPARE(grat_group_for("auto", 256, 256, 16), int64_t(8));   // 64k tokens: grouped
        QCOMPARE(grat_group_for("auto", 512, 128, 16), int64_t(8));
        QCOMPARE(grat_group_for("auto", 260, 260, 16), int64_t(0));   // 8 does not divide: full
        QVERIFY(message_of([] { grat_group_for("grouped:5", 64, 96, 16); })
                    .contains("group size 5 does not divide the 96x64 token grid of a 1536x1024 image"));
        QVERIFY(message_of([] { check_attention_setting("grouped:0"); }).contains("at least 1 token"));
        QVERIFY(message_of([] { check_attention_setting("grouped:-2"); }).contains("at least 1 token"));
        for (const char* bad : {"sparse", "grouped:", "grouped:8x", "Full", ""})
            QVERIFY2(message_of([&] { check_attention_setting(bad); }).contains("expected full, grouped"), bad);

        // The whole generation refuses a group that does not divide its grid (6 x 4 tokens here).
        Engine engine;
        Callbacks cb;
        const QString msg = message_of([&] { engine.generate(tiny_request("grouped:4"), cb); });
        QVERIFY2(msg.contains("does not divide the 6x4 token grid of a 96x64 image"), qPrintable(msg));
    }

    void parameters_round_trip() {
        Request r = tiny_request("grouped:4");
        QCOMPARE(parameters_from_json(parameters_json(r)).attention, std::string("grouped:4"));
        r.attention = "auto";  // the default is not written, and reads back as the default
        QVERIFY(parameters_json(r).find("attention") == std::string::npos);
        QCOMPARE(parameters_from_json(parameters_json(r)).attention, std::string("auto"));
        const QString msg = message_of([] { parameters_from_json(R"({"attention": "grouped:0"})"); });
        QVERIFY2(msg.contains("generation parameters: field attention 'grouped:0'"), qPrintable(msg));
    }
};

QTEST_GUILESS_MAIN(TestGroupedAttention)
#include "test_grouped_attention.moc"
