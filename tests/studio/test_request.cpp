// Document::toRequest for what goes beyond txt2img: inpainting (image + mask at the request
// size, the inpaint mode), controls (the pose map rendered from the pose layer, the edge map from
// the edge layer, with weight/start/end) and regional prompts (each region's mask), all scaled
// from the canvas to the request's size.
#include <QtTest>

#include "engine/error.h"
#include "studio/control/pose_renderer.h"
#include "studio/document/document.h"
#include "studio/result_png.h"
#include "tests/common/test_helpers.h"

using namespace dit::studio;

using dit::testing::error_text;

namespace {

// A Grayscale8 layer of `canvas` with `rect` set to `value`.
QImage gray_with(QSize canvas, QRect rect, int value) {
    QImage img = blank_gray(canvas);
    for (int y = rect.top(); y <= rect.bottom(); ++y)
        for (int x = rect.left(); x <= rect.right(); ++x) img.scanLine(y)[x] = uchar(value);
    return img;
}

uint8_t at(const dit::Mask& m, int x, int y) { return m.value[size_t(y) * size_t(m.width) + size_t(x)]; }

Person person_in(QSize canvas) {
    Person p;
    for (int i = 0; i < kBodyKeypoints; ++i)
        p.body[size_t(i)] = {float(canvas.width() * (0.3 + 0.02 * i)), float(canvas.height() * (0.1 + 0.045 * i)), 1.f};
    return p;
}

// A document on a 96x64 canvas asking for a `size` image.
std::unique_ptr<Document> make_doc(QSize size) {
    auto doc = std::make_unique<Document>(QSize(96, 64));
    GenerationSettings s = doc->settings();
    s.width = size.width();
    s.height = size.height();
    s.random_seed = false;
    doc->setSettings(s, "size");
    return doc;
}

void set(Document& doc, const std::function<void(GenerationSettings&)>& f) {
    GenerationSettings s = doc.settings();
    f(s);
    doc.setSettings(s, "test");
    doc.sealMerging();
}

}  // namespace

class TestRequest : public QObject {
    Q_OBJECT

private slots:
    void txt2img_sends_no_extras() {
        auto doc = make_doc({96, 64});
        const dit::Request r = doc->toRequest();
        QVERIFY(!r.mask && !r.init_image);
        QVERIFY(r.controls.empty() && r.regions.empty());
    }

    void inpaint_sends_image_and_mask_at_the_request_size() {
        auto doc = make_doc({48, 32});
        set(*doc, [](GenerationSettings& s) {
            s.mode = GenerationMode::Inpaint;
            s.inpaint_mode = InpaintMode::Lazy;
            s.lazy_refresh = 3;
        });
        QVERIFY(error_text([&] { doc->toRequest(); }).contains("inpaint needs an image layer"));
        QImage img(96, 64, QImage::Format_RGB888);
        img.fill(QColor(10, 120, 200));
        doc->setImage(img);
        QVERIFY(error_text([&] { doc->toRequest(); }).contains("inpaint needs a mask"));
        // The right half of the canvas regenerates.
        const QImage mask = gray_with({96, 64}, QRect(48, 0, 48, 64), 255);
        doc->paintPatch({Document::PaintTarget::Mask}, {0, 0}, doc->mask(), mask, "paint");
        const dit::Request r = doc->toRequest();
        QVERIFY(r.mask && r.init_image);
        QCOMPARE(r.mask->width, 48);
        QCOMPARE(r.mask->height, 32);
        QCOMPARE(r.mask->value.size(), size_t(48 * 32));
        QCOMPARE(r.init_image->width, 48);
        QCOMPARE(r.init_image->height, 32);
        QCOMPARE(r.inpaint_mode, std::string("lazy"));
        QCOMPARE(r.lazy_refresh, 3);
        QVERIFY(!r.low_vram);
        set(*doc, [](GenerationSettings& s) { s.low_vram = true; });
        QVERIFY(doc->toRequest().low_vram);
        // Halved: columns 0..22 are kept (0), 25..47 regenerate (255); the two columns at the
        // seam may blend (smooth scaling), so they are only checked to lie between.
        for (int y = 0; y < 32; ++y) {
            for (int x = 0; x < 23; ++x) QCOMPARE(int(at(*r.mask, x, y)), 0);
            for (int x = 25; x < 48; ++x) QCOMPARE(int(at(*r.mask, x, y)), 255);
        }
        QCOMPARE(int(r.init_image->rgb[0]), 10);  // flat colour survives scaling exactly
        QCOMPARE(int(r.init_image->rgb[2]), 200);

        // At the canvas size the mask goes through byte for byte, soft values included.
        set(*doc, [](GenerationSettings& s) {
            s.width = 96;
            s.height = 64;
            s.inpaint_mode = InpaintMode::Crop;
        });
        QImage soft = blank_gray({96, 64});
        for (int y = 0; y < 64; ++y)
            for (int x = 0; x < 96; ++x) soft.scanLine(y)[x] = uchar((x * 7 + y * 3) % 256);
        doc->paintPatch({Document::PaintTarget::Mask}, {0, 0}, doc->mask(), soft, "soft");
        const dit::Request exact = doc->toRequest();
        QCOMPARE(exact.inpaint_mode, std::string("crop"));
        for (int y = 0; y < 64; ++y)
            for (int x = 0; x < 96; ++x) QCOMPARE(int(at(*exact.mask, x, y)), (x * 7 + y * 3) % 256);
    }

    void controls_render_their_maps() {
        auto doc = make_doc({48, 32});
        set(*doc, [](GenerationSettings& s) {
            s.controls = {{"pose", true, 0.8, 0.1, 0.7}, {"edges", false, 1.0, 0.0, 1.0}};
        });
        QVERIFY(error_text([&] { doc->toRequest(); }).contains("control 1 (pose): the pose layer has no person"));
        doc->addPerson(person_in({96, 64}));
        dit::Request r = doc->toRequest();
        QCOMPARE(r.controls.size(), size_t(1));  // the edges control is off
        const dit::ControlInput& pose = r.controls[0];
        QCOMPARE(pose.type, std::string("pose"));
        QCOMPARE(pose.weight, 0.8f);
        QCOMPARE(pose.start, 0.1f);
        QCOMPARE(pose.end, 0.7f);
        QVERIFY(pose.adapter_dir.empty());  // the model folder's controlnet_pose/
        QCOMPARE(pose.image.width, 48);
        QCOMPARE(pose.image.height, 32);
        // The studio's one renderer, drawn at the request size (not a scaled canvas render).
        Pose p;
        p.canvas = {96, 64};
        p.people = doc->people();
        const dit::Image expected = from_qimage(render_pose_map(p, {48, 32}));
        QVERIFY(pose.image.rgb == expected.rgb);
        QVERIFY(std::any_of(pose.image.rgb.begin(), pose.image.rgb.end(), [](uint8_t v) { return v > 0; }));

        set(*doc, [](GenerationSettings& s) { s.controls[1].enabled = true; });
        QVERIFY(error_text([&] { doc->toRequest(); }).contains("control 2 (edges): the edge layer is empty"));
        // A vertical edge line at canvas column 40..41 -> request column 20.
        const QImage edges = gray_with({96, 64}, QRect(40, 0, 2, 64), 255);
        doc->paintPatch({Document::PaintTarget::Edges}, {0, 0}, doc->edges(), edges, "edges");
        r = doc->toRequest();
        QCOMPARE(r.controls.size(), size_t(2));
        const dit::ControlInput& e = r.controls[1];
        QCOMPARE(e.type, std::string("edges"));
        QCOMPARE(e.image.width, 48);
        QCOMPARE(e.image.height, 32);
        auto px = [&](int x, int y, int c) { return int(e.image.rgb[(size_t(y) * 48 + size_t(x)) * 3 + size_t(c)]); };
        for (int y = 0; y < 32; ++y) {
            QCOMPARE(px(20, y, 0), 255);  // white on black, the same in every channel
            QCOMPARE(px(20, y, 2), 255);
            QCOMPARE(px(5, y, 1), 0);
            QCOMPARE(px(40, y, 0), 0);
        }
    }

    void regions_send_their_masks() {
        auto doc = make_doc({48, 32});
        const quint32 sky = doc->addRegion("a blue sky", Qt::blue);
        const quint32 ground = doc->addRegion("green grass", Qt::green);
        doc->addRegion("nothing painted", Qt::red);  // left out: no pixels
        const quint32 unnamed = doc->addRegion("   ", Qt::yellow);  // left out: no prompt
        doc->paintPatch({Document::PaintTarget::Region, sky}, {0, 0}, doc->region(sky)->mask,
                        gray_with({96, 64}, QRect(0, 0, 96, 32), 255), "sky");
        doc->paintPatch({Document::PaintTarget::Region, ground}, {0, 0}, doc->region(ground)->mask,
                        gray_with({96, 64}, QRect(0, 32, 96, 32), 255), "ground");
        doc->paintPatch({Document::PaintTarget::Region, unnamed}, {0, 0}, doc->region(unnamed)->mask,
                        gray_with({96, 64}, QRect(0, 0, 10, 10), 255), "unnamed");
        const dit::Request r = doc->toRequest();
        QCOMPARE(r.regions.size(), size_t(2));
        QCOMPARE(r.regions[0].prompt, std::string("a blue sky"));
        QCOMPARE(r.regions[1].prompt, std::string("green grass"));
        for (const auto& region : r.regions) {
            QCOMPARE(region.mask.width, 48);
            QCOMPARE(region.mask.height, 32);
        }
        // Halved: rows 0..14 inside the sky (> 127), rows 17..31 inside the ground; the seam
        // rows may blend.
        for (int x = 0; x < 48; ++x) {
            for (int y = 0; y < 15; ++y) {
                QVERIFY(at(r.regions[0].mask, x, y) > 127);
                QCOMPARE(int(at(r.regions[1].mask, x, y)), 0);
            }
            for (int y = 17; y < 32; ++y) {
                QCOMPARE(int(at(r.regions[0].mask, x, y)), 0);
                QVERIFY(at(r.regions[1].mask, x, y) > 127);
            }
        }
        // Regions and controls go along with any mode; img2img still needs its image.
        set(*doc, [](GenerationSettings& s) { s.mode = GenerationMode::Img2Img; });
        QVERIFY(error_text([&] { doc->toRequest(); }).contains("img2img needs an image layer"));
    }
};

QTEST_GUILESS_MAIN(TestRequest)
#include "test_request.moc"
