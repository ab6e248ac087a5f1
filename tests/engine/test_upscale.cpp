// Upscale and refine: the tile layout covers every pixel and reaches each edge, the blending
// weights are positive everywhere and feather only where a neighbour overlaps, bad fields are
// named, and a refinement over tiles runs with progress counting tiles x steps.
#include <QtTest>

#include "engine/error.h"
#include "engine/pipeline/upscale.h"
#include "tests/common/test_helpers.h"

using namespace dit;

class TestUpscale : public QObject {
    Q_OBJECT

private slots:
    void layout_covers_every_pixel() {
        for (const auto& [w, h, tile, overlap] : {std::tuple{1024, 1024, 512, 64}, {1000, 600, 512, 64}, {4096, 2048, 1024, 128},
                                                  {300, 200, 128, 16}, {96, 48, 128, 16}, {128, 128, 128, 0}}) {
            const auto tiles = tile_layout(w, h, tile, overlap, 16);
            std::vector<float> total(size_t(w) * h, 0.0f);
            for (const Tile& t : tiles) {
                QVERIFY(t.x >= 0 && t.y >= 0 && t.x + t.w <= w && t.y + t.h <= h);
                QCOMPARE(t.w % 16, 0);
                QCOMPARE(t.h % 16, 0);
                const auto wt = tile_weights(t, w, h, overlap);
                for (int y = 0; y < t.h; ++y)
                    for (int x = 0; x < t.w; ++x) total[size_t(t.y + y) * w + t.x + x] += wt[size_t(y) * t.w + x];
            }
            // Every pixel has weight, so the normalised blend (sum w v / sum w) is defined and its
            // weights sum to one.
            QVERIFY2(*std::min_element(total.begin(), total.end()) > 0.0f, qPrintable(QString("%1x%2").arg(w).arg(h)));
            // Neighbours overlap by at least the asked overlap (while the picture allows).
            for (size_t i = 1; i < tiles.size(); ++i)
                if (tiles[i].y == tiles[i - 1].y && tiles[i].x > tiles[i - 1].x)
                    QVERIFY(tiles[i - 1].x + tiles[i - 1].w - tiles[i].x >= std::min(overlap, tiles[i].w / 2 - 1));
        }
        QCOMPARE(int(tile_layout(1024, 1024, 512, 64, 16).size()), 9);  // 3 x 3: 2 would overlap by 0
    }

    void weights_feather_only_towards_neighbours() {
        const Tile corner{0, 0, 64, 64};
        const auto w = tile_weights(corner, 128, 128, 16);
        QCOMPARE(w[0], 1.0f);                     // the picture's corner: full weight to the border
        QVERIFY(w[63] < 0.1f);                    // the right edge overlaps a neighbour: feathered
        QVERIFY(w[size_t(63) * 64] < 0.1f);
        QCOMPARE(w[size_t(20) * 64 + 20], 1.0f);  // inside
    }

    void bad_fields_are_named() {
        for (const auto& [tile, overlap, says] : {std::tuple{8, 0, "'tile'"}, {100, 0, "'tile'"}, {64, 32, "'overlap'"},
                                                  {64, -1, "'overlap'"}}) {
            const std::string e = dit::testing::error_of([&] { tile_layout(256, 256, tile, overlap, 16); });
            QVERIFY2(e.find(says) != std::string::npos, e.c_str());
        }
        QVERIFY(!dit::testing::error_of([] { tile_layout(8, 256, 64, 8, 16); }).empty());
    }

    void refines_over_tiles() {
        Engine engine;
        UpscaleRequest u;
        u.base.model_dir = std::string(DIT_FIXTURES) + "/tiny-pixart-alpha";
        u.base.prompt = "a red circle";
        u.base.steps = 4;
        u.base.seed = 1;
        u.picture = Image{112, 80, std::vector<uint8_t>(size_t(112) * 80 * 3, 128)};
        u.tile = 64;
        u.overlap = 16;
        u.strength = 0.5f;
        const int tiles = int(tile_layout(112, 80, 64, 16, 16).size());
        QCOMPARE(tiles, 4);
        int last_step = 0, last_total = 0, previews = 0;
        Callbacks cb;
        cb.progress = [&](const Progress& p) {
            QVERIFY(p.step > last_step);  // one count over all tiles, never restarting
            last_step = p.step;
            last_total = p.steps;
        };
        cb.preview = [&](const Image& img, const Progress&) {
            ++previews;
            QCOMPARE(img.width, 112);  // the whole picture, the tile forming in place
        };
        const Result r = upscale_refine(engine, u, cb);
        QCOMPARE(r.image.width, 112);
        QCOMPARE(r.image.height, 80);
        QCOMPARE(last_step, last_total);
        QCOMPARE(last_total % tiles, 0);
        QCOMPARE(previews, last_total);
        QVERIFY(r.image.rgb != u.picture.rgb);  // refined
        // Cancel mid-run: dit::Cancelled, nothing returned.
        int calls = 0;
        Callbacks stop;
        stop.progress = [&](const Progress&) { ++calls; };
        stop.cancelled = [&] { return calls >= 3; };
        QVERIFY_THROWS_EXCEPTION(Cancelled, upscale_refine(engine, u, stop));
    }
};

QTEST_MAIN(TestUpscale)
#include "test_upscale.moc"
