// Batches (engine/pipeline/batch.h): N images with seeds seed, seed + 1, ..., each equal to the
// single run with its seed (bit for bit on the reference backend, within 2 of 255 on OpenBLAS,
// whose kernels depend on the matrix size), whether the items share a forward or not; the grouping
// rule; progress over the whole batch; broken input.
#include <QtTest>

#include "engine/error.h"
#include "engine/pipeline/batch.h"
#include "engine/pipeline/engine.h"
#include "tests/backends/pipeline_parity.h"

using namespace dit;

namespace {

Request tiny_request(const char* variant = "alpha") {
    Request r = kernels::parity::tiny_request(DIT_FIXTURES, variant);
    r.seed = 21;
    return r;
}

int max_diff(const Image& a, const Image& b) {
    if (a.rgb.size() != b.rgb.size()) return 1 << 20;
    int worst = 0;
    for (size_t i = 0; i < a.rgb.size(); ++i) worst = std::max(worst, std::abs(int(a.rgb[i]) - int(b.rgb[i])));
    return worst;
}

}  // namespace

class TestBatch : public QObject {
    Q_OBJECT

private slots:
    void the_grouping_rule() {
        // 2 branches x 4 bytes x (16 x 64 tokens x 48 + 3 x 64^2): 0.29 MB an item.
        QCOMPARE(batch_item_bytes(2, 8, 8, 48, 3), int64_t(2) * 4 * (16 * 64 * 48 + 3 * 64 * 64));
        QCOMPARE(batch_group_size(4, 2, 8, 8, 48, 3), 4);                  // all fit
        QCOMPARE(batch_group_size(4, 2, 8, 8, 48, 3, 3 * batch_item_bytes(2, 8, 8, 48, 3)), 3);
        QCOMPARE(batch_group_size(4, 2, 8, 8, 48, 3, 1), 1);               // sequential at worst
        // PixArt at 1024 px (64 x 64 tokens, 1152 wide, 16 heads): 2.8 GB an item, one at a time.
        QCOMPARE(batch_group_size(4, 2, 64, 64, 1152, 16), 1);
        // ... at 512 px, 4 items (0.35 GB each) share a forward.
        QCOMPARE(batch_group_size(4, 2, 32, 32, 1152, 16), 4);
    }

    void each_image_equals_its_single_run() {
        for (const char* backend : {"cpu-reference", "cpu"})
        for (const char* variant : {"alpha", "sigma"})
            for (const char* sampler : {"dpm++2m", "euler_a"}) {
                Engine engine;
                Callbacks cb;
                Request r = tiny_request(variant);
                r.sampler = sampler;
                r.backend = backend;
                std::vector<Progress> progress;
                Callbacks counted;
                counted.progress = [&](const Progress& p) { progress.push_back(p); };
                const std::vector<Result> batch = engine.generate_batch(r, 3, counted);
                QCOMPARE(int(batch.size()), 3);
                // One group of 3 (the tiny model fits): progress counts its steps once.
                QCOMPARE(int(progress.size()), r.steps);
                QCOMPARE(progress.back().step, progress.back().steps);
                for (int k = 0; k < 3; ++k) {
                    Request single = r;
                    single.seed = r.seed + uint64_t(k);
                    const Image one = engine.generate(single, cb).image;
                    // The reference backend's plain loops give every row the same arithmetic
                    // whatever the batch: bit for bit. OpenBLAS picks its kernels by matrix size
                    // (small-matrix paths), so a batched GEMM may round differently: within 2 of
                    // 255 (1 seen).
                    const int tolerance = std::string(backend) == "cpu-reference" ? 0 : 2;
                    QVERIFY2(max_diff(batch[size_t(k)].image, one) <= tolerance,
                             qPrintable(QString("%1 %2 %3 item %4: %5").arg(backend, variant, sampler).arg(k).arg(max_diff(batch[size_t(k)].image, one))));
                    QVERIFY(batch[size_t(k)].parameters.find("\"seed\":" + std::to_string(single.seed)) != std::string::npos ||
                            batch[size_t(k)].parameters.find(std::to_string(single.seed)) != std::string::npos);
                }
                QVERIFY(max_diff(batch[0].image, batch[1].image) > 0);  // different seeds, different images
            }
    }

    void img2img_and_inpaint_batches() {
        Engine engine;
        Callbacks cb;
        Request r = tiny_request();
        const Image init = engine.generate(r, cb).image;
        r.init_image = init;
        r.strength = 0.6f;
        const std::vector<Result> batch = engine.generate_batch(r, 2, cb);
        for (int k = 0; k < 2; ++k) {
            Request single = r;
            single.seed = r.seed + uint64_t(k);
            QVERIFY(max_diff(batch[size_t(k)].image, engine.generate(single, cb).image) <= 2);  // see above
        }
        // Inpainting runs item by item (its per-request state), still with consecutive seeds.
        Mask m;
        m.width = r.width;
        m.height = r.height;
        m.value.assign(size_t(m.width) * size_t(m.height), 0);
        for (int y = 10; y < 40; ++y)
            for (int x = 20; x < 60; ++x) m.value[size_t(y) * size_t(m.width) + size_t(x)] = 255;
        r.mask = m;
        const std::vector<Result> inpaint = engine.generate_batch(r, 2, cb);
        Request second = r;
        second.seed = r.seed + 1;
        QCOMPARE(max_diff(inpaint[1].image, engine.generate(second, cb).image), 0);
    }

    void broken_batches_are_refused() {
        Engine engine;
        Callbacks cb;
        Request r = tiny_request();
        for (int n : {0, -1, kMaxBatch + 1}) {
            try {
                engine.generate_batch(r, n, cb);
                QFAIL("no error");
            } catch (const Error& e) {
                QVERIFY2(QString(e.what()).contains("batch " + QString::number(n) + " is out of range"), e.what());
            }
        }
    }
};

QTEST_MAIN(TestBatch)
#include "test_batch.moc"
