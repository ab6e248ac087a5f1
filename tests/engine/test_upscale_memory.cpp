// Upscale memory: a 4096² refinement over every tile (tiled VAE encode and decode, blending),
// on the tiny fixture model at 1 step, stays under its stated bound. Its own executable, so the
// process's peak resident memory (ru_maxrss) belongs to this run alone.
//
// The bound: the picture's 8-bit buffers (the enlarged input and the output, 3 bytes a pixel
// each, plus one preview frame while a preview is shown: 9 bytes a pixel, 151 MB at 4096²), the
// blending band (width x tile x 16 bytes: 16.8 MB at 4096 wide, 256 px tiles), and 64 MB for
// what the allocator keeps around them, over the peak of a warm-up run on a 1024² picture with
// the same tiles (the model, one tile's activations, its VAE encode and decode, the arenas).
// Anything that grows with the area beyond those buffers fails it: float sums over the whole
// picture (16 bytes a pixel, 268 MB at 4096², as the blend kept before it used a band), or one
// VAE decode of the whole picture (16 channels at full size: 1 GB an activation).
// Measured (2-core EPYC, load average 9): 147 MB over the warm-up's 207 MB, bound 224 MB, 173 s;
// the blend before the band grew it by 375 MB and failed.
#include <sys/resource.h>

#include <QtTest>

#include "engine/pipeline/upscale.h"

using namespace dit;

namespace {

double peak_rss_mb() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss / 1024.0;
}

constexpr int kTile = 256;
constexpr int kTiles = 19 * 19;  // at 4096², overlapping by 32

UpscaleRequest request(int size) {
    UpscaleRequest u;
    u.base.model_dir = std::string(DIT_FIXTURES) + "/tiny-pixart-alpha";
    u.base.prompt = "a red circle";
    u.base.steps = 10;  // at strength 0.1: one step a tile
    u.base.seed = 1;
    u.picture = Image{size, size, std::vector<uint8_t>(size_t(size) * size * 3)};
    for (size_t i = 0; i < u.picture.rgb.size(); ++i) u.picture.rgb[i] = uint8_t((i * 7) % 251);
    u.tile = kTile;
    u.overlap = kTile / 8;
    u.strength = 0.1f;
    return u;
}

}  // namespace

class TestUpscaleMemory : public QObject {
    Q_OBJECT

private slots:
    void a_4096_run_stays_under_its_bound() {
        Engine engine;
        Callbacks cb;
        int previews = 0;
        cb.preview = [&](const Image& frame, const Progress&) { previews += frame.width > 0; };
        // Warm-up at 1024² with the same tiles: the model, one tile's work and the allocator's
        // arenas reach their size here.
        upscale_refine(engine, request(1024), cb);
        const double warm = peak_rss_mb();
        const int side = 4096;
        const auto t0 = std::chrono::steady_clock::now();
        Result r;
        {
            const UpscaleRequest u = request(side);
            r = upscale_refine(engine, u, cb);
            QCOMPARE(int(tile_layout(side, side, kTile, kTile / 8, 16).size()), kTiles);
        }
        const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        QCOMPARE(r.image.width, side);
        QVERIFY(previews >= kTiles);
        const double px = double(side) * side;
        const double buffers_mb = (9 * px + side * double(kTile) * 16) / 1048576.0;
        const double slack_mb = 64;
        const double peak = peak_rss_mb();
        qInfo("warm-up peak %.0f MB; 4096² peak %.0f MB: %.0f MB more, bound %.0f MB (buffers %.0f + %.0f); %.0f s",
              warm, peak, peak - warm, buffers_mb + slack_mb, buffers_mb, slack_mb, secs);
        QVERIFY2(peak - warm <= buffers_mb + slack_mb, qPrintable(QString("the 4096² run grew the peak by %1 MB, over %2 MB")
                                                                     .arg(peak - warm).arg(buffers_mb + slack_mb)));
    }
};

// The run takes minutes on a loaded 2-core machine: Qt Test's 5-minute limit a function is raised
// to just under CTest's 10 (tests/CMakeLists.txt), so a slow machine fails by CTest's timeout.
int main(int argc, char** argv) {
    if (!qEnvironmentVariableIsSet("QTEST_FUNCTION_TIMEOUT")) qputenv("QTEST_FUNCTION_TIMEOUT", "590000");
    QGuiApplication app(argc, argv);
    TestUpscaleMemory t;
    return QTest::qExec(&t, argc, argv);
}
#include "test_upscale_memory.moc"
