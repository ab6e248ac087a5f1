// Inpainting through Engine::generate on the tiny PixArt pipeline (tests/fixtures/tiny-pixart-alpha)
// and its mask helpers:
//  - every mode (full, crop, lazy) with every sampler: each pixel whose mask is 0 is the input
//    pixel, bit for bit (tolerance 0), and the masked region does change;
//  - lazy with k = 1 equals full mode exactly (every step is a refresh, i.e. a full forward);
//    lazy with k = 3 and an all-ones mask (every token active, the subset path with an empty
//    cache) equals full mode within 2/255 per channel (per-item GEMMs and key order only);
//  - broken requests: wrong mask size, empty mask, no init image, unknown mode, bad settings
//    fail with messages naming the problem; an all-ones mask regenerates the whole image;
//  - every mode with two regional prompts (one over the mask, one outside crop's box);
//  - the masks: max-pooled (not averaged) to the latent grid, dilated before blurred, the blend
//    mask 0 wherever the mask is 0 and fading in inside it; compositing an image over itself
//    gives it back byte for byte (the blend adds no colour shift).
#include <QtTest>
#include <cmath>

#include "engine/error.h"
#include "engine/pipeline/engine.h"
#include "engine/pipeline/inpaint.h"
#include "engine/samplers/sampler.h"

using namespace dit;

namespace {

constexpr int kW = 96, kH = 64;

Image test_image() {
    Image img;
    img.width = kW;
    img.height = kH;
    img.rgb.resize(size_t(kW) * kH * 3);
    for (int y = 0; y < kH; ++y)
        for (int x = 0; x < kW; ++x) {
            uint8_t* p = &img.rgb[(size_t(y) * kW + x) * 3];
            p[0] = uint8_t(x * 255 / (kW - 1));
            p[1] = uint8_t(y * 255 / (kH - 1));
            p[2] = uint8_t(((x / 8 + y / 8) % 2) ? 200 : 40);
        }
    return img;
}

// A rectangle (255) with a soft left edge (128), or every pixel `fill`.
Mask test_mask(int fill = -1) {
    Mask m;
    m.width = kW;
    m.height = kH;
    m.value.assign(size_t(kW) * kH, uint8_t(std::max(fill, 0)));
    if (fill >= 0) return m;
    for (int y = 20; y < 44; ++y)
        for (int x = 40; x < 70; ++x) m.value[size_t(y) * kW + x] = x < 43 ? 128 : 255;
    return m;
}

Request inpaint_request(const std::string& mode, const std::string& sampler = "dpm++2m") {
    Request r;
    r.model_dir = std::string(DIT_FIXTURES) + "/tiny-pixart-alpha";
    r.prompt = "a red circle at the top left";
    r.negative_prompt = "blurry";
    r.width = kW;
    r.height = kH;
    r.steps = 4;
    r.seed = 3;
    r.sampler = sampler;
    r.init_image = test_image();
    r.mask = test_mask();
    r.strength = 1.0f;
    r.inpaint_mode = mode;
    r.lazy_refresh = 2;
    return r;
}

struct Diff {
    int outside_max = 0, inside_changed = 0;
};

Diff compare(const Image& in, const Image& out, const Mask& m) {
    Diff d;
    for (size_t p = 0; p < m.value.size(); ++p)
        for (int c = 0; c < 3; ++c) {
            const int e = std::abs(int(in.rgb[p * 3 + c]) - int(out.rgb[p * 3 + c]));
            if (m.value[p] == 0) d.outside_max = std::max(d.outside_max, e);
            else if (e) ++d.inside_changed;
        }
    return d;
}

int max_diff(const Image& a, const Image& b) {
    if (a.rgb.size() != b.rgb.size()) return 1000;
    int e = 0;
    for (size_t i = 0; i < a.rgb.size(); ++i) e = std::max(e, std::abs(int(a.rgb[i]) - int(b.rgb[i])));
    return e;
}

QString error_of(Engine& engine, const Request& r) {
    Callbacks cb;
    try {
        engine.generate(r, cb);
    } catch (const Error& e) {
        return QString::fromStdString(e.what());
    }
    return {};
}

}  // namespace

class TestInpaint : public QObject {
    Q_OBJECT

private slots:
    // Crop mode previews the crop in place: a picture of the whole input's size in which only
    // the crop's box forms, so the rest of the picture stays in view while the crop generates.
    void crop_previews_form_in_place() {
        Engine engine;
        Request r = inpaint_request("crop");
        r.crop_margin = 4;
        const auto plan = plan_crop(r, 8 * 8, 16);  // the tiny model: sample 8, f8 VAE, patch 2
        int previews = 0;
        Callbacks cb;
        cb.preview = [&](const Image& p, const Progress&) {
            ++previews;
            QCOMPARE(p.width, kW);
            QCOMPARE(p.height, kH);
            const Image& in = *r.init_image;
            int outside = 0, inside = 0;
            for (int y = 0; y < kH; ++y)
                for (int x = 0; x < kW; ++x) {
                    const bool in_box = x >= plan.x && x < plan.x + plan.w && y >= plan.y && y < plan.y + plan.h;
                    for (int c = 0; c < 3; ++c) {
                        const size_t i = (size_t(y) * kW + x) * 3 + c;
                        const int e = std::abs(int(p.rgb[i]) - int(in.rgb[i]));
                        if (in_box) inside += e > 0;
                        else outside = std::max(outside, e);
                    }
                }
            QCOMPARE(outside, 0);  // outside the crop's box: the input, untouched
            QVERIFY(inside > 0);   // inside it: the forming picture
        };
        engine.generate(r, cb);
        QCOMPARE(previews, r.steps);
    }

    void outside_mask_is_the_input_data() {
        QTest::addColumn<QString>("mode");
        QTest::addColumn<QString>("sampler");
        // Every sampler a PixArt scheduler config runs (scm needs Sana-Sprint's TrigFlow config,
        // and is text-to-image only).
        for (const char* mode : {"full", "crop", "lazy"})
            for (const auto& s : sampler_names())
                if (s != "scm") QTest::newRow((std::string(mode) + " " + s).c_str()) << QString(mode) << QString::fromStdString(s);
    }
    void outside_mask_is_the_input() {
        QFETCH(QString, mode);
        QFETCH(QString, sampler);
        static Engine engine;  // the model stays loaded across rows
        Callbacks cb;
        int previews = 0;
        cb.preview = [&](const Image&, const Progress&) { ++previews; };
        const Request r = inpaint_request(mode.toStdString(), sampler.toStdString());
        const Result res = engine.generate(r, cb);
        QCOMPARE(res.image.width, kW);
        QCOMPARE(res.image.height, kH);
        const Diff d = compare(*r.init_image, res.image, *r.mask);
        if (d.outside_max) qWarning("outside the mask: max abs diff %d (tolerance 0)", d.outside_max);
        QCOMPARE(d.outside_max, 0);
        QVERIFY2(d.inside_changed > 100, "the masked region should be regenerated");
        QVERIFY(previews >= 1);
        QVERIFY(res.parameters.find("\"inpaint_mode\":\"" + mode.toStdString() + "\"") != std::string::npos);
    }

    void lazy_with_refresh_every_step_is_full() {
        Engine engine;
        Callbacks cb;
        const Result full = engine.generate(inpaint_request("full"), cb);
        Request lazy = inpaint_request("lazy");
        lazy.lazy_refresh = 1;
        const Result l1 = engine.generate(lazy, cb);
        const int e1 = max_diff(full.image, l1.image);
        if (e1) qWarning("lazy k=1 vs full: max abs diff %d (tolerance 0)", e1);
        QCOMPARE(e1, 0);

        // All-ones mask: the lazy subset path with every token active and nothing cached.
        Request f = inpaint_request("full");
        f.mask = test_mask(255);
        const Result full_all = engine.generate(f, cb);
        Request l = f;
        l.inpaint_mode = "lazy";
        l.lazy_refresh = 3;
        const Result lazy_all = engine.generate(l, cb);
        const int e3 = max_diff(full_all.image, lazy_all.image);
        if (e3 > 2) qWarning("lazy k=3 all-ones vs full: max abs diff %d (tolerance 2)", e3);
        QVERIFY(e3 <= 2);
        l.lazy_refresh = 1;
        QCOMPARE(max_diff(full_all.image, engine.generate(l, cb).image), 0);
    }

    void lazy_with_a_stale_cache_differs_but_keeps_the_outside() {
        Engine engine;
        Callbacks cb;
        Request r = inpaint_request("lazy");
        r.lazy_refresh = 4;  // one refresh in 4 steps
        // No grow, blur or halo: 6 of the 24 tokens run, the rest come from the step-0 cache.
        r.mask_grow = r.mask_blur = r.lazy_halo = 0;
        const Result lazy = engine.generate(r, cb);
        Request f = r;
        f.inpaint_mode = "full";
        const Result full = engine.generate(f, cb);
        QCOMPARE(compare(*r.init_image, lazy.image, *r.mask).outside_max, 0);
        QVERIFY(max_diff(full.image, lazy.image) > 0);  // an approximation, not a copy of full
    }

    void composes_with_regional_prompts() {
        // One region over the mask, one far from it (outside crop mode's box): every mode runs,
        // lazy picks the active tokens' region groups, crop drops the region it cannot see.
        Engine engine;
        Callbacks cb;
        for (const char* mode : {"full", "crop", "lazy"}) {
            Request r = inpaint_request(mode);
            RegionPrompt near{"a blue square", test_mask()}, far{"a green star", test_mask(0)};
            for (int y = 0; y < 12; ++y)
                for (int x = 0; x < 12; ++x) far.mask.value[size_t(y) * kW + x] = 255;
            r.regions = {near, far};
            r.mask_grow = r.mask_blur = 2;
            r.crop_margin = 4;
            const Result res = engine.generate(r, cb);
            QCOMPARE(compare(*r.init_image, res.image, *r.mask).outside_max, 0);
        }
    }

    void broken_requests_are_clear_errors() {
        Engine engine;
        Request r = inpaint_request("full");
        r.mask->width = 48;
        QVERIFY(error_of(engine, r).contains("inpaint mask is 48x64"));
        QVERIFY(error_of(engine, r).contains("request is 96x64"));
        r = inpaint_request("full");
        r.mask->value.pop_back();
        QVERIFY(error_of(engine, r).contains("wrong number of values"));
        r = inpaint_request("full");
        r.mask = test_mask(0);
        QVERIFY(error_of(engine, r).contains("mask is empty"));
        r = inpaint_request("lazy");
        r.init_image.reset();
        QVERIFY(error_of(engine, r).contains("needs an init image"));
        r = inpaint_request("fast");
        QVERIFY(error_of(engine, r).contains("inpaint mode 'fast' is unknown"));
        r = inpaint_request("lazy");
        r.lazy_refresh = 0;
        QVERIFY(error_of(engine, r).contains("lazy refresh 0 is out of range"));
        r = inpaint_request("full");
        r.mask_blur = -1;
        QVERIFY(error_of(engine, r).contains("mask blur -1"));
        r = inpaint_request("crop");
        r.noise_file = "noise.npy";
        QVERIFY(error_of(engine, r).contains("noise file cannot be used with crop"));
    }

    void all_ones_mask_regenerates_everything() {
        Engine engine;
        Callbacks cb;
        for (const char* mode : {"full", "crop", "lazy"}) {
            Request r = inpaint_request(mode);
            r.mask = test_mask(255);
            const Result res = engine.generate(r, cb);
            QCOMPARE(res.image.width, kW);
            // The feather has no edge to fade from: every pixel is the generated one.
            QVERIFY(compare(*r.init_image, res.image, *r.mask).inside_changed > kW * kH);
        }
    }

    void denoise_mask_is_max_pooled_after_dilating_then_blurring() {
        // One masked pixel in an 8x8 cell: averaging would give 1/64, max-pooling gives 1.
        Mask m;
        m.width = m.height = 32;
        m.value.assign(32 * 32, 0);
        m.value[9 * 32 + 10] = 255;
        auto lat = inpaint::denoise_mask(m, 0, 0, 8);
        QCOMPARE(int(lat.size()), 16);
        QCOMPARE(lat[1 * 4 + 1], 1.0f);
        QCOMPARE(lat[0], 0.0f);
        // Grown then blurred: the mask's own pixels stay fully regenerated, the ramp is outside.
        const auto soft = inpaint::blur(inpaint::dilate(inpaint::support(m), 32, 32, 4), 32, 32, 4);
        QCOMPARE(soft[9 * 32 + 10], 1.0f);
        QVERIFY(soft[9 * 32 + 16] > 0.0f && soft[9 * 32 + 16] < 1.0f);
        lat = inpaint::denoise_mask(m, 4, 4, 8);
        QCOMPARE(lat[1 * 4 + 1], 1.0f);
        QVERIFY(lat[1 * 4 + 2] > 0.0f);  // the neighbour cell is touched by the ramp
    }

    void blend_mask_is_zero_outside_and_fades_in() {
        Mask m = test_mask();
        const auto b = inpaint::blend_mask(m, 6);
        for (size_t p = 0; p < b.size(); ++p)
            if (m.value[p] == 0) QCOMPARE(b[p], 0.0f);
        // Along row 32 from the right edge (x = 69) inwards: rising to 1 at 7 px in.
        const int y = 32;
        for (int x = 69; x > 62; --x) QVERIFY(b[size_t(y) * kW + x] < b[size_t(y) * kW + x - 1] || b[size_t(y) * kW + x - 1] == 1.0f);
        QVERIFY(b[size_t(y) * kW + 69] > 0.0f);
        QCOMPARE(b[size_t(y) * kW + 55], 1.0f);
        // the soft edge (128) stays at most half, then fades in
        QVERIFY(b[size_t(y) * kW + 41] > 0.0f && b[size_t(y) * kW + 41] <= 128 / 255.0f);
        // composite: zero blend copies the original's bytes
        Image a = test_image(), g = test_image();
        for (auto& v : g.rgb) v = uint8_t(255 - v);
        const Image out = inpaint::composite(a, g, b);
        QCOMPARE(compare(a, out, m).outside_max, 0);
        QCOMPARE(out.rgb[(size_t(y) * kW + 55) * 3], g.rgb[(size_t(y) * kW + 55) * 3]);
        // No colour shift from the blend itself: compositing the input over itself through any
        // blend values gives the input back, byte for byte (tolerance 0).
        std::vector<float> ramp(b.size());
        for (size_t p = 0; p < ramp.size(); ++p) ramp[p] = float(p % 97) / 96.0f;
        QCOMPARE(max_diff(inpaint::composite(a, a, ramp), a), 0);
    }

    void lazy_tokens_cover_the_mask_plus_a_halo() {
        std::vector<float> lat(12 * 8, 0.0f);  // latent 12x8, patch 2: a 6x4 token grid
        lat[3 * 12 + 5] = 0.5f;                // token (1, 2)
        std::vector<int32_t> active, cached;
        inpaint::split_tokens(lat, 12, 8, 2, 0, active, cached);
        QCOMPARE(active, (std::vector<int32_t>{1 * 6 + 2}));
        QCOMPARE(int(cached.size()), 23);
        inpaint::split_tokens(lat, 12, 8, 2, 1, active, cached);
        QCOMPARE(int(active.size()), 9);  // the 3x3 ring around it
        QCOMPARE(int(active.size() + cached.size()), 24);
    }
};

QTEST_APPLESS_MAIN(TestInpaint)
#include "test_inpaint.moc"
