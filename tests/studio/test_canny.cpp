// The one Canny path (studio/control/canny): white edges on black where the image has steps,
// nothing elsewhere; the thresholds decide which steps count; colour steps of equal brightness
// are found in ControlNet's (RGB) mode and missed in grayscale mode.
#include <QPainter>
#include <QtTest>

#include "engine/error.h"
#include "studio/control/canny.h"
#include "tests/common/test_helpers.h"

using namespace dit::studio;

namespace {

QImage square(QColor fg, QColor bg = Qt::black, int size = 64, QRect r = QRect(20, 20, 24, 24)) {
    QImage img(size, size, QImage::Format_RGB888);
    img.fill(bg);
    QPainter p(&img);
    p.fillRect(r, fg);
    return img;
}

int count_edges(const QImage& e, QRect within = {}) {
    if (within.isNull()) within = e.rect();
    int n = 0;
    for (int y = within.top(); y <= within.bottom(); ++y)
        for (int x = within.left(); x <= within.right(); ++x) n += e.constScanLine(y)[x] != 0;
    return n;
}

}  // namespace

class TestCanny : public QObject {
    Q_OBJECT

private slots:
    void square_gives_its_border_only() {
        const QRect r(20, 20, 24, 24);
        const QImage e = canny_edges(square(Qt::white));
        QCOMPARE(e.format(), QImage::Format_Grayscale8);
        QCOMPARE(e.size(), QSize(64, 64));
        int border = 0, off = 0, values_ok = 1;
        for (int y = 0; y < 64; ++y)
            for (int x = 0; x < 64; ++x) {
                const uchar v = e.constScanLine(y)[x];
                values_ok &= v == 0 || v == 255;
                if (!v) continue;
                // Within one pixel of the square's outline (Canny marks one side of the step).
                const bool near = r.adjusted(-1, -1, 1, 1).contains(x, y) && !r.adjusted(2, 2, -2, -2).contains(x, y);
                (near ? border : off)++;
            }
        qInfo("edge pixels: %d on the border band, %d elsewhere", border, off);
        QVERIFY(values_ok);
        QCOMPARE(off, 0);
        QVERIFY2(border >= 4 * 22, qPrintable(QString("only %1 edge pixels along a 24 px square").arg(border)));
        // Every side is found: a point on each side's band.
        QVERIFY(count_edges(e, QRect(19, 30, 3, 4)) > 0);
        QVERIFY(count_edges(e, QRect(42, 30, 3, 4)) > 0);
        QVERIFY(count_edges(e, QRect(30, 19, 4, 3)) > 0);
        QVERIFY(count_edges(e, QRect(30, 42, 4, 3)) > 0);
        // A flat image has no edges.
        QCOMPARE(count_edges(canny_edges(square(Qt::gray, Qt::gray))), 0);
    }

    void thresholds_matter() {
        // A straight step of 40 levels (no corners, whose diagonal gradients are stronger):
        // Sobel's L1 magnitude across it is 4 * 40 = 160, under the default high threshold 200
        // (no edge) and over a high threshold of 100.
        QImage dim(64, 64, QImage::Format_RGB888);
        dim.fill(Qt::black);
        QPainter(&dim).fillRect(0, 0, 32, 64, QColor(40, 40, 40));
        QCOMPARE(count_edges(canny_edges(dim)), 0);
        CannyOptions low;
        low.low = 50;
        low.high = 100;
        const int n = count_edges(canny_edges(dim, low));
        qInfo("edges of a 40-level step: 0 at 100/200, %d at 50/100", n);
        QCOMPARE(n, 64);  // one pixel per row
        // Blur spreads the step, so the same thresholds find less or nothing.
        CannyOptions blurred = low;
        blurred.blur_kernel = 7;
        blurred.blur_sigma = 2.0;
        QVERIFY(count_edges(canny_edges(dim, blurred)) < n);
    }

    void colour_steps_of_equal_brightness() {
        // Qt's gray of (160, 0, 0) and (0, 110, 0) is the same 55: no luma step at all.
        QCOMPARE(qGray(160, 0, 0), qGray(0, 110, 0));
        const QImage img = square(QColor(160, 0, 0), QColor(0, 110, 0));
        const int rgb = count_edges(canny_edges(img));
        CannyOptions gray;
        gray.grayscale = true;
        const int g = count_edges(canny_edges(img, gray));
        qInfo("red on green of equal gray: %d edge pixels (RGB mode), %d (grayscale mode)", rgb, g);
        QVERIFY(rgb >= 4 * 22);
        QCOMPARE(g, 0);
    }

    void bad_options() {
        CannyOptions o;
        o.low = 300;
        EXPECT_ERROR(canny_edges(square(Qt::white), o), "0 <= low <= high");
        o = {};
        o.blur_kernel = 4;
        EXPECT_ERROR(canny_edges(square(Qt::white), o), "blur kernel");
        EXPECT_ERROR(canny_edges(QImage()), "empty");
        // Any input format works (ARGB, grayscale), same edges.
        const QImage img = square(Qt::white);
        QCOMPARE(canny_edges(img.convertToFormat(QImage::Format_ARGB32)), canny_edges(img));
        QCOMPARE(canny_edges(img.convertToFormat(QImage::Format_Grayscale8)), canny_edges(img));
    }
};

QTEST_APPLESS_MAIN(TestCanny)
#include "test_canny.moc"
