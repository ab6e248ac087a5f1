// The colour brush, the fill and the eyedropper's source: stroke pixels (dab spacing, hardness
// falloff, opacity and flow accumulation), pressure scaling, the eraser's alpha, fill regions.
#include <QtTest>

#include "studio/document/colour_brush.h"
#include "studio/document/flood_fill.h"

using namespace dit::studio;

namespace {

QImage transparent(QSize s) {
    QImage img(s, QImage::Format_RGBA8888);
    img.fill(Qt::transparent);
    return img;
}

int alpha(const QImage& img, int x, int y) { return img.constScanLine(y)[4 * x + 3]; }

}  // namespace

class TestColourBrush : public QObject {
    Q_OBJECT

private slots:
    void a_hard_dab_paints_its_disc() {
        QImage layer = transparent({32, 32});
        ColourBrush b;
        b.setSize(10);
        b.setHardness(1);
        b.setColour(QColor(200, 40, 10));
        const QRect r = b.begin(&layer, {16, 16});
        b.end();
        QCOMPARE(r, QRect(11, 11, 10, 10));  // pixel centres within 5 px of (16, 16)
        QCOMPARE(layer.pixelColor(16, 16), QColor(200, 40, 10, 255));
        QCOMPARE(layer.pixelColor(11, 16), QColor(200, 40, 10, 255));  // centre 11.5: 4.5 px away
        QCOMPARE(alpha(layer, 10, 16), 0);                            // 5.5 px: outside
        QCOMPARE(alpha(layer, 11, 11), 0);                            // the corner is outside the disc
    }

    void hardness_falls_off_to_the_rim() {
        QImage layer = transparent({40, 40});
        ColourBrush b;
        b.setSize(30);
        b.setHardness(0);
        b.begin(&layer, {20, 20});
        b.end();
        // Alpha falls strictly from the centre outwards along a row, to 0 past the rim.
        int last = 256;
        for (int x = 20; x < 35; ++x) {
            QVERIFY2(alpha(layer, x, 20) < last || (last == 255 && alpha(layer, x, 20) == 255),
                     qPrintable(QString("x %1: %2 after %3").arg(x).arg(alpha(layer, x, 20)).arg(last)));
            last = alpha(layer, x, 20);
        }
        QCOMPARE(alpha(layer, 20, 20), 253);  // 0.71 px off the centre (d = 0.047): 1 - smoothstep = 0.993
        QCOMPARE(alpha(layer, 35, 20), 0);
        // Half hardness keeps a flat core out to half the radius.
        QImage l2 = transparent({40, 40});
        b.setHardness(0.5);
        b.begin(&l2, {20, 20});
        b.end();
        QCOMPARE(alpha(l2, 26, 20), 255);   // 6.5 px < 7.5
        QVERIFY(alpha(l2, 30, 20) < 255);   // 10.5 px: in the falloff
    }

    void dab_spacing_follows_the_size() {
        QImage layer = transparent({200, 20});
        ColourBrush b;
        b.setSize(10);
        b.setHardness(1);
        b.setSpacing(0.25);  // a dab every 2.5 px
        b.begin(&layer, {10, 10});
        b.lineTo({60, 10});  // 50 px: 20 more dabs
        QCOMPARE(b.dabsLaid(), 21);
        // Split into many small moves, the same dabs land: the spacing carries across calls.
        QImage l2 = transparent({200, 20});
        ColourBrush c = b;
        c.begin(&l2, {10, 10});
        for (int x = 11; x <= 60; ++x) c.lineTo({double(x), 10});
        QCOMPARE(c.dabsLaid(), 21);
        b.end();
        c.end();
        QCOMPARE(l2, layer);
        // Spacing wider than the dab leaves gaps.
        QImage gaps = transparent({200, 20});
        b.setSpacing(2);  // 20 px apart, dabs 10 wide
        b.begin(&gaps, {10, 10});
        b.lineTo({90, 10});
        b.end();
        QCOMPARE(alpha(gaps, 30, 10), 255);
        QCOMPARE(alpha(gaps, 20, 10), 0);  // between dabs at 10 and 30
    }

    void flow_builds_up_to_the_opacity_and_no_further() {
        QImage layer = transparent({20, 20});
        ColourBrush b;
        b.setSize(8);
        b.setHardness(1);
        b.setOpacity(0.8);
        b.setFlow(0.5);
        b.begin(&layer, {10, 10});
        QCOMPARE(alpha(layer, 10, 10), 102);  // 0.8 * 0.5 = 0.4
        b.dabAt({10, 10});
        QCOMPARE(alpha(layer, 10, 10), 153);  // 0.4 + (0.8 - 0.4) * 0.5 = 0.6
        for (int i = 0; i < 30; ++i) b.dabAt({10, 10});
        QCOMPARE(alpha(layer, 10, 10), 204);  // the cap: 0.8
        b.end();
        // A second stroke starts afresh over what the first left: 0.8 + 0.2 * 0.4 = 0.88.
        b.begin(&layer, {10, 10});
        b.end();
        QCOMPARE(alpha(layer, 10, 10), 224);
        // Over an opaque pixel the colour mixes at the coverage.
        QImage red(4, 4, QImage::Format_RGBA8888);
        red.fill(QColor(255, 0, 0));
        ColourBrush blue;
        blue.setColour(QColor(0, 0, 255));
        blue.setHardness(1);
        blue.setSize(8);
        blue.setOpacity(0.5);
        blue.begin(&red, {2, 2});
        blue.end();
        QCOMPARE(red.pixelColor(2, 2), QColor(128, 0, 128, 255));
    }

    void pressure_scales_size_and_opacity() {
        ColourBrush b;
        b.setSize(20);
        b.setOpacity(0.8);
        QCOMPARE(b.sizeAt(0.5), 10.0);  // size follows pressure by default
        QCOMPARE(b.opacityAt(0.5), 0.8);
        b.setPressureOpacity(true);
        QCOMPARE(b.opacityAt(0.5), 0.4);
        b.setPressureSize(false);
        QCOMPARE(b.sizeAt(0.25), 20.0);
        b.setPressureSize(true);
        QCOMPARE(b.sizeAt(0.0), 1.0);  // never below a pixel

        QImage light = transparent({40, 40}), firm = transparent({40, 40});
        b.setHardness(1);
        b.begin(&light, {20, 20}, 0.25);  // 5 px, opacity 0.2
        b.end();
        b.begin(&firm, {20, 20}, 1.0);    // 20 px, opacity 0.8
        b.end();
        QCOMPARE(alpha(light, 20, 20), 51);
        QCOMPARE(alpha(firm, 20, 20), 204);
        QCOMPARE(alpha(light, 24, 20), 0);   // 4.5 px: outside 2.5
        QCOMPARE(alpha(firm, 28, 20), 204);  // 8.5 px: inside 10
    }

    void the_eraser_takes_alpha_away() {
        QImage layer(20, 20, QImage::Format_RGBA8888);
        layer.fill(QColor(10, 200, 30, 255));
        ColourBrush b;
        b.setEraser(true);
        b.setHardness(1);
        b.setSize(6);
        b.setOpacity(0.5);
        b.begin(&layer, {10, 10});
        b.end();
        QCOMPARE(alpha(layer, 10, 10), 128);                     // 255 * (1 - 0.5)
        QCOMPARE(layer.pixelColor(10, 10).green(), 200);         // the colour stays, under less alpha
        b.setOpacity(1);
        b.begin(&layer, {10, 10});
        b.end();
        QCOMPARE(alpha(layer, 10, 10), 0);
        QCOMPARE(alpha(layer, 2, 2), 255);
    }

    void fill_takes_the_connected_area_within_tolerance() {
        // A white picture split by a black vertical line at x = 10, a grey patch on the left.
        QImage ref(20, 10, QImage::Format_RGB888);
        ref.fill(Qt::white);
        for (int y = 0; y < 10; ++y) ref.setPixelColor(10, y, Qt::black);
        ref.setPixelColor(3, 3, QColor(240, 240, 240));
        QImage region = fill_region(ref, {2, 2}, 0);
        int count = 0;
        for (int y = 0; y < 10; ++y)
            for (int x = 0; x < 20; ++x) count += region.constScanLine(y)[x] == 255;
        QCOMPARE(count, 10 * 10 - 1);  // the left half but the grey pixel; the line holds
        QCOMPARE(region.constScanLine(3)[3], uchar(0));
        QCOMPARE(region.constScanLine(5)[15], uchar(0));
        region = fill_region(ref, {2, 2}, 15);  // 240 is within 15 of 255
        QCOMPARE(region.constScanLine(3)[3], uchar(255));
        QCOMPARE(fill_region(ref, {50, 2}, 0).pixelColor(0, 0).value(), 0);  // outside: nothing

        QImage layer = transparent({20, 10});
        const QRect changed = paint_region(layer, region, QColor(0, 90, 200), 1.0);
        QCOMPARE(changed, QRect(0, 0, 10, 10));
        QCOMPARE(layer.pixelColor(4, 4), QColor(0, 90, 200, 255));
        QCOMPARE(alpha(layer, 15, 4), 0);
    }
};

QTEST_MAIN(TestColourBrush)
#include "test_colour_brush.moc"
