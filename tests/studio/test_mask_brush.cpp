// MaskBrush (hard and soft dabs, stroke interpolation, dirty rects, eraser) and the whole-mask
// operations (grow, shrink, feather, invert).
#include <QtTest>
#include <cmath>

#include "studio/document/document_state.h"
#include "studio/document/mask_brush.h"
#include "studio/document/mask_ops.h"

using namespace dit::studio;

namespace {

// The bounding rect of the pixels that differ between two images.
QRect changed_rect(const QImage& a, const QImage& b) {
    QRect r;
    for (int y = 0; y < a.height(); ++y)
        for (int x = 0; x < a.width(); ++x)
            if (a.constScanLine(y)[x] != b.constScanLine(y)[x]) r |= QRect(x, y, 1, 1);
    return r;
}

int count_value(const QImage& m, int v) {
    int n = 0;
    for (int y = 0; y < m.height(); ++y)
        for (int x = 0; x < m.width(); ++x) n += m.constScanLine(y)[x] == v;
    return n;
}

int px(const QImage& m, int x, int y) { return m.constScanLine(y)[x]; }

}  // namespace

class TestMaskBrush : public QObject {
    Q_OBJECT

private slots:
    void hardness_one_is_a_hard_disc() {
        QImage m = blank_gray({64, 64});
        MaskBrush b;
        b.setSize(20);
        b.setHardness(1);
        b.dab(m, {32, 32});
        int inside = 0;  // pixel centres strictly within radius 10
        for (int y = 0; y < 64; ++y)
            for (int x = 0; x < 64; ++x) inside += std::hypot(x + 0.5 - 32, y + 0.5 - 32) < 10;
        QCOMPARE(count_value(m, 255), inside);
        QCOMPARE(count_value(m, 0), 64 * 64 - inside);  // nothing in between
        qInfo("hard disc of diameter 20: %d pixels (pi r^2 = %.1f)", inside, M_PI * 100);
    }

    void hardness_zero_falls_off_smoothly() {
        QImage m = blank_gray({64, 64});
        MaskBrush b;
        b.setSize(40);
        b.setHardness(0);
        b.dab(m, {32, 32});
        // Along a row from the centre out: never increasing, from ~255 to 0 at the rim.
        QVERIFY(px(m, 32, 32) >= 250);
        for (int x = 33; x < 64; ++x) QVERIFY(px(m, x, 32) <= px(m, x - 1, 32));
        QVERIFY(px(m, 42, 32) > 100 && px(m, 42, 32) < 250);  // halfway: a middle value
        QCOMPARE(px(m, 52, 32), 0);                           // past the rim
        int middle = 0;
        for (int v = 1; v < 255; ++v) middle += count_value(m, v);
        QVERIFY(middle > 500);  // most of the dab is soft
        // Half hardness: a flat core out to half the radius.
        QImage h = blank_gray({64, 64});
        b.setHardness(0.5);
        b.dab(h, {32, 32});
        QCOMPARE(px(h, 39, 32), 255);
        QVERIFY(px(h, 47, 32) > 0 && px(h, 47, 32) < 255);
    }

    void stroke_dirty_rect_is_exact() {
        for (double hardness : {1.0, 0.4}) {
            QImage m = blank_gray({80, 60});
            const QImage before = m.copy();
            MaskBrush b;
            b.setSize(9);
            b.setHardness(hardness);
            QRect seen = b.begin(&m, {10, 12});
            seen |= b.lineTo({30, 40});
            seen |= b.lineTo({70, 35});
            const QRect dirty = b.end();
            QCOMPARE(dirty, changed_rect(before, m));
            QCOMPARE(seen, dirty);
        }
        // Clipped at the canvas edge.
        QImage m = blank_gray({20, 20});
        MaskBrush b;
        b.setSize(10);
        b.begin(&m, {1, 1});
        QCOMPARE(b.end(), changed_rect(blank_gray({20, 20}), m));
        QVERIFY(QRect(0, 0, 20, 20).contains(b.dirtyRect()));
    }

    void stroke_has_no_gaps_and_ignores_how_input_is_split() {
        MaskBrush b;
        b.setSize(4);
        b.setHardness(1);
        QImage one = blank_gray({100, 20});
        b.begin(&one, {5, 10});
        b.lineTo({95, 10});  // one big jump, as a fast mouse gives
        b.end();
        for (int x = 5; x <= 95; ++x) QCOMPARE(px(one, x, 10), 255);
        QImage many = blank_gray({100, 20});
        b.begin(&many, {5, 10});
        for (double x = 5 + 90.0 / 7; x < 95.001; x += 90.0 / 7) b.lineTo({x, 10});
        b.end();
        QCOMPARE(many, one);
    }

    void eraser_clears_under_the_brush() {
        QImage m = blank_gray({40, 40});
        m.fill(255);
        MaskBrush b;
        b.setSize(10);
        b.setHardness(1);
        b.setEraser(true);
        b.begin(&m, {20, 20});
        const QRect r = b.end();
        QCOMPARE(px(m, 20, 20), 0);
        QCOMPARE(px(m, 5, 5), 255);
        QCOMPARE(r, QRect(15, 15, 10, 10));
        // Soft eraser leaves intermediate values at the rim, never raises a pixel.
        QImage s = blank_gray({40, 40});
        s.fill(100);
        b.setHardness(0);
        b.begin(&s, {20, 20});
        b.end();
        for (int y = 0; y < 40; ++y)
            for (int x = 0; x < 40; ++x) QVERIFY(px(s, x, y) <= 100);
        QVERIFY(px(s, 20, 20) < 20);                         // near the centre: almost all gone
        QVERIFY(px(s, 21, 20) > px(s, 20, 20) && px(s, 21, 20) < 100);  // soft toward the rim
    }

    void grow_and_shrink_by_a_disc() {
        QImage dot = blank_gray({21, 21});
        dot.scanLine(10)[10] = 255;
        const QImage g = grow_mask(dot, 3);
        int disc = 0;
        for (int dy = -3; dy <= 3; ++dy)
            for (int dx = -3; dx <= 3; ++dx) disc += dx * dx + dy * dy <= 9;
        QCOMPARE(count_value(g, 255), disc);  // 29 pixels
        QCOMPARE(px(g, 13, 10), 255);
        QCOMPARE(px(g, 12, 12), 255);
        QCOMPARE(px(g, 13, 13), 0);
        // Shrink undoes grow on a dot (opening by the same disc).
        QCOMPARE(shrink_mask(g, 3), dot);
        // A square shrinks by N on each side.
        QImage sq = blank_gray({30, 30});
        sq.fill(0);
        for (int y = 5; y < 25; ++y)
            for (int x = 5; x < 25; ++x) sq.scanLine(y)[x] = 255;
        const QImage s = shrink_mask(sq, 2);
        QCOMPARE(changed_rect(blank_gray({30, 30}), s), QRect(QPoint(7, 7), QPoint(22, 22)));
        QCOMPARE(count_value(s, 255), 16 * 16);
        // Soft values are kept, not thresholded.
        QImage soft = blank_gray({9, 9});
        soft.scanLine(4)[4] = 100;
        QCOMPARE(count_value(grow_mask(soft, 1), 100), 5);
        QCOMPARE(grow_mask(sq, 0), sq);
    }

    void feather_makes_a_ramp() {
        QImage m = blank_gray({60, 10});
        for (int y = 0; y < 10; ++y)
            for (int x = 30; x < 60; ++x) m.scanLine(y)[x] = 255;
        const QImage f = feather_mask(m, 6);
        for (int x = 1; x < 60; ++x) QVERIFY(px(f, x, 5) >= px(f, x - 1, 5));
        QCOMPARE(px(f, 23, 5), 0);    // beyond the radius: untouched
        QCOMPARE(px(f, 36, 5), 255);
        QVERIFY(std::abs(px(f, 29, 5) + px(f, 30, 5) - 255) <= 1);  // symmetric about the edge (rounding: 1)
        QVERIFY(px(f, 27, 5) > 0 && px(f, 32, 5) < 255);
        QCOMPARE(feather_mask(m, 0), m);
        QCOMPARE(invert_mask(invert_mask(f)), f);
        QCOMPARE(px(invert_mask(f), 23, 5), 255);
    }
};

QTEST_GUILESS_MAIN(TestMaskBrush)
#include "test_mask_brush.moc"
