// Selections: shapes to exact pixels (pixel centres inside), the lasso's even-odd rule, feather,
// the mask conversions, every change undoing, and "inpaint selection" sending the selection as
// the request's mask while the mask layer and the mode stay as they were.
#include <QTemporaryDir>
#include <QtTest>

#include "engine/error.h"
#include "studio/document/document.h"
#include "studio/document/mask_ops.h"
#include "studio/document/selection.h"
#include "studio/project/project_file.h"
#include "tests/common/document_compare.h"

using namespace dit::studio;
using dit::testing::same_state;

namespace {

int count(const QImage& sel, int at_least = 128) {
    int n = 0;
    for (int y = 0; y < sel.height(); ++y)
        for (int x = 0; x < sel.width(); ++x) n += sel.constScanLine(y)[x] >= at_least;
    return n;
}

bool on(const QImage& sel, int x, int y) { return sel.constScanLine(y)[x] == 255; }

}  // namespace

class TestSelection : public QObject {
    Q_OBJECT

private slots:
    void shapes_select_the_pixels_whose_centres_they_cover() {
        const QSize c(40, 30);
        QCOMPARE(count(rect_selection(c, QRectF(2, 3, 10, 5))), 50);
        QCOMPARE(count(rect_selection(c, QRectF(12, 8, -10, -5))), 50);  // dragged up-left
        QCOMPARE(count(rect_selection(c, QRectF(-5, -5, 10, 10))), 25);  // clipped
        const QImage e = ellipse_selection(c, QRectF(10, 5, 20, 20));
        QVERIFY(on(e, 20, 15) && !on(e, 10, 5) && on(e, 10, 15) && !on(e, 9, 15));
        QVERIFY(std::abs(count(e) - 314) <= 8);  // pi r^2 with r = 10
    }

    void lasso_polygon_to_mask_pixels() {
        // A right triangle (0,0) (20,0) (0,20): centre (x+.5, y+.5) inside when x + y + 1 < 20,
        // so row y has 19 - y pixels: 19 + 18 + ... + 1 = 190.
        const QSize c(32, 32);
        const QImage t = lasso_selection(c, QPolygonF({QPointF(0, 0), QPointF(20, 0), QPointF(0, 20)}));
        QCOMPARE(count(t), 190);
        for (int y = 0; y < 20; ++y)
            for (int x = 0; x < 20; ++x) QCOMPARE(on(t, x, y), x + y + 1 < 20);
        // A self-crossing bow tie: the even-odd rule keeps both lobes, the crossing point apart.
        const QImage bow = lasso_selection(c, QPolygonF({QPointF(0, 0), QPointF(20, 20), QPointF(20, 0), QPointF(0, 20)}));
        QVERIFY(on(bow, 3, 10) && on(bow, 16, 10) && !on(bow, 10, 3) && !on(bow, 10, 16));
        QCOMPARE(count(lasso_selection(c, QPolygonF({QPointF(1, 1), QPointF(5, 5)}))), 0);  // no area
        // The border: a 10x5 rectangle's ring.
        QCOMPARE(count(selection_border(rect_selection(c, QRectF(2, 3, 10, 5)))), 2 * 10 + 2 * 3);
    }

    void edits_undo_and_convert_to_the_mask() {
        Document doc(QSize(32, 24));
        const auto check = [&](const char* what, const std::function<void()>& edit) {
            const DocumentState before = doc.state();
            edit();
            const DocumentState after = doc.state();
            QVERIFY2(!same_state(before, after), what);
            doc.undoStack()->undo();
            QVERIFY2(same_state(doc.state(), before), what);
            doc.undoStack()->redo();
            QVERIFY2(same_state(doc.state(), after), what);
        };
        check("rect", [&] { doc.setSelection(rect_selection(doc.canvasSize(), QRectF(4, 4, 8, 8)), "Select"); });
        QVERIFY(doc.hasSelection());
        check("feather", [&] { doc.featherSelection(4); });
        QVERIFY(doc.selection().pixelColor(8, 8).value() > 200);  // the middle stays selected
        const int soft = count(doc.selection(), 1) - count(doc.selection(), 255);
        QVERIFY2(soft > 20, qPrintable(QString::number(soft)));       // a soft ramp around it
        QCOMPARE(doc.selection(), feather_mask(rect_selection(doc.canvasSize(), QRectF(4, 4, 8, 8)), 4));
        check("invert", [&] { doc.invertSelection(); });
        QCOMPARE(doc.selection().pixelColor(0, 0).value(), 255);
        check("to mask", [&] { doc.selectionToMask(); });
        QCOMPARE(doc.mask(), doc.selection());
        check("none", [&] { doc.selectNone(); });
        QVERIFY(!doc.hasSelection());
        check("mask to selection", [&] { doc.maskToSelection(); });
        QCOMPARE(doc.selection(), doc.mask());
        check("all", [&] { doc.selectAll(); });
        QCOMPARE(count(doc.selection()), 32 * 24);
    }

    void inpaint_selection_sends_the_selection_as_the_mask() {
        DocumentState s = DocumentState::blank({32, 32});
        s.image = QImage(32, 32, QImage::Format_RGB888);
        s.image.fill(QColor(20, 40, 60));
        s.settings.mode = GenerationMode::Txt2Img;
        s.mask.fill(0);
        s.mask.scanLine(30)[30] = 255;  // the user's mask: elsewhere
        Document doc(s);
        QVERIFY(QString(QString::fromUtf8([&] {
                    try {
                        doc.toInpaintSelectionRequest(1);
                    } catch (const dit::Error& e) {
                        return std::string(e.what());
                    }
                    return std::string();
                }().c_str()))
                    .contains("nothing is selected"));
        const QImage lasso = lasso_selection(doc.canvasSize(), QPolygonF({QPointF(2, 2), QPointF(20, 4), QPointF(8, 18)}));
        doc.setSelection(lasso, "Lasso");
        const DocumentState before = doc.state();
        const dit::Request r = doc.toInpaintSelectionRequest(7);
        QVERIFY(r.mask.has_value());
        QCOMPARE(r.mask->width, 32);
        for (int y = 0; y < 32; ++y)
            for (int x = 0; x < 32; ++x) QCOMPARE(r.mask->value[size_t(y) * 32 + size_t(x)], lasso.constScanLine(y)[x]);
        QVERIFY(r.init_image.has_value());
        QCOMPARE(r.seed, quint64(7));
        QVERIFY(same_state(doc.state(), before));  // the mask layer and the mode untouched
        QCOMPARE(doc.settings().mode, GenerationMode::Txt2Img);
    }

    // The selection is part of the project: saved and loaded exactly; a project without one
    // (nothing selected, or saved by an older studio) opens with nothing selected.
    void the_selection_is_saved_with_the_project() {
        QTemporaryDir tmp;
        Document doc(DocumentState::blank({40, 24}));
        doc.setSelection(ellipse_selection(doc.canvasSize(), QRectF(3, 2, 20, 15)), "Ellipse");
        doc.featherSelection(2);  // soft values survive too
        save_project(doc.state(), tmp.filePath("p"));
        const DocumentState back = load_project(tmp.filePath("p"));
        QVERIFY(!back.selection.isNull());
        QCOMPARE(back.selection, doc.selection());
        QVERIFY(same_state(back, doc.state()));
        doc.selectNone();
        save_project(doc.state(), tmp.filePath("q"));
        QVERIFY(!QFile::exists(tmp.filePath("q/selection.png")));
        QVERIFY(load_project(tmp.filePath("q")).selection.isNull());
    }
};

QTEST_MAIN(TestSelection)
#include "test_selection.moc"
