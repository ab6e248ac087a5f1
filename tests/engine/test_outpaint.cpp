// Outpainting's parts: the side specification (every wrong field named), rounding to what the
// model takes, the extended picture and its mask.
#include <QtTest>

#include "engine/error.h"
#include "engine/pipeline/outpaint.h"
#include "tests/common/test_helpers.h"

using namespace dit;

class TestOutpaint : public QObject {
    Q_OBJECT

private slots:
    void parses_sides() {
        const Outpaint o = parse_outpaint("left=64,right=32,top=0,bottom=16");
        QCOMPARE(o.left, 64);
        QCOMPARE(o.right, 32);
        QCOMPARE(o.top, 0);
        QCOMPARE(o.bottom, 16);
        QCOMPARE(parse_outpaint("bottom=8").bottom, 8);
        for (const auto& [spec, says] : {std::pair{"left=64,left=8", "given twice"}, {"middle=3", "middle=3"},
                                         {"left=-1", "'left'"}, {"left=5000", "'left'"}, {"left=1x", "'left'"},
                                         {"left=", "'left'"}, {"left=0", "nothing to add"}, {"", "nothing to add"},
                                         {"left", "SIDE=PIXELS"}}) {
            const std::string e = dit::testing::error_of([&] { parse_outpaint(spec); });
            QVERIFY2(e.find(says) != std::string::npos, (std::string(spec) + " -> " + e).c_str());
        }
    }

    void rounds_to_the_model_multiple() {
        Outpaint o = round_outpaint({10, 10, 0, 0}, 64, 48, 16);
        QCOMPARE(o.left + o.right + 64, 96);
        QCOMPARE(o.left, 16);  // each growing side up to a multiple
        QCOMPARE(o.right, 16);
        o = round_outpaint({0, 0, 5, 0}, 64, 48, 16);
        QCOMPARE(o.top, 16);   // only the side that grows takes the extra
        QCOMPARE(o.bottom, 0);
        o = round_outpaint({64, 10, 0, 0}, 64, 48, 16);
        QCOMPARE(o.left, 64);  // a side asked in multiples stays as asked
        QCOMPARE(o.right, 16);
        o = round_outpaint({16, 0, 0, 0}, 70, 48, 16);
        QCOMPARE(o.left, 26);  // the picture is no multiple and only the left grows: the left takes it
        o = round_outpaint({16, 0, 0, 0}, 64, 50, 16);
        QCOMPARE(o.bottom, 14);  // an axis nobody grows but not a multiple: the far side
        QCOMPARE(o.top, 0);
    }

    void extends_with_edge_pixels_and_masks_the_new_area() {
        Image img{2, 2, {10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120}};
        const Outpaint o{1, 2, 1, 0};
        const Image e = extend_image(img, o);
        QCOMPARE(e.width, 5);
        QCOMPARE(e.height, 3);
        auto px = [&](int x, int y) { return std::vector<uint8_t>(&e.rgb[(size_t(y) * 5 + x) * 3], &e.rgb[(size_t(y) * 5 + x) * 3 + 3]); };
        QCOMPARE(px(1, 1), (std::vector<uint8_t>{10, 20, 30}));   // the picture, moved
        QCOMPARE(px(2, 2), (std::vector<uint8_t>{100, 110, 120}));
        QCOMPARE(px(0, 0), (std::vector<uint8_t>{10, 20, 30}));   // the corner: the nearest pixel
        QCOMPARE(px(4, 2), (std::vector<uint8_t>{100, 110, 120}));
        const Mask m = outpaint_mask(2, 2, o);
        QCOMPARE(m.width, 5);
        const std::vector<uint8_t> expect = {255, 255, 255, 255, 255,  //
                                             255, 0, 0, 255, 255,      //
                                             255, 0, 0, 255, 255};
        QCOMPARE(m.value, expect);
        Request r;
        r.strength = 0.5f;
        apply_outpaint(r, img, o);
        QCOMPARE(r.width, 5);
        QCOMPARE(r.strength, 1.0f);
        QVERIFY(r.mask && r.init_image);
        QVERIFY(!dit::testing::error_of([] { extend_image(Image{}, Outpaint{1, 0, 0, 0}); }).empty());
    }
};

QTEST_MAIN(TestOutpaint)
#include "test_outpaint.moc"
