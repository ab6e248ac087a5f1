// History "compare with the canvas" and the pose panel's transforms, driven through the widgets:
// comparing changes what the canvas paints and never the document; each transform button is
// one undo step on the selected person or hand.
#include <QComboBox>
#include <QGroupBox>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QtTest>

#include "studio/control/pose_transform.h"
#include "tests/common/document_compare.h"
#include "ui/canvas_view.h"
#include "ui/gallery_panel.h"
#include "ui/pose_panel.h"

using dit::studio::Document;
using dit::ui::CanvasView;

namespace {

QImage solid(QSize s, QColor c) {
    QImage img(s, QImage::Format_RGB888);
    img.fill(c);
    return img;
}

}  // namespace

class TestHistoryCompare : public QObject {
    Q_OBJECT

private slots:
    void compare_changes_the_paint_not_the_document() {
        Document doc(QSize(64, 48));
        CanvasView canvas;
        canvas.resize(320, 240);
        canvas.setDocument(&doc);
        canvas.show();
        const dit::studio::DocumentState before = doc.state();
        const int before_index = doc.undoStack()->index();
        const QImage plain = canvas.grab().toImage();

        dit::ui::GalleryPanel history;
        history.setDocument(&doc);
        QObject::connect(&history, &dit::ui::GalleryPanel::compareChanged, &canvas, &CanvasView::setCompareImage);
        dit::studio::DocumentState with_result = doc.state();
        dit::studio::GalleryItem r;
        r.id = 1;
        r.image = solid(QSize(64, 48), QColor(250, 20, 200));
        doc.addResult(r);
        with_result.results.push_back(r);
        QCOMPARE(history.count(), 1);
        QCOMPARE(history.currentIndex(), 0);  // the new result is selected
        QVERIFY(!canvas.isComparing());  // selecting a result alone does not compare

        QSignalSpy spy(&history, &dit::ui::GalleryPanel::compareChanged);
        history.compareButton()->click();
        QCOMPARE(spy.count(), 1);
        QVERIFY(canvas.isComparing());
        const QImage compared = canvas.grab().toImage();
        QVERIFY(compared != plain);
        // Right of the split (the centre) shows the result, left of it the (black-masked) canvas.
        const QRectF t(canvas.canvasToWidget({0, 0}), canvas.canvasToWidget({64, 48}));
        const QPoint right = QPointF(t.left() + t.width() * 0.8, t.center().y()).toPoint();
        const QPoint left = QPointF(t.left() + t.width() * 0.2, t.center().y()).toPoint();
        QCOMPARE(QColor(compared.pixel(right)), QColor(250, 20, 200));
        QCOMPARE(compared.pixel(left), plain.pixel(left));

        // Dragging the split line to the left shows more of the result.
        const QPoint split = QPointF(t.center().x(), t.center().y()).toPoint();
        QTest::mousePress(&canvas, Qt::LeftButton, {}, split);
        QTest::mouseMove(&canvas, left - QPoint(5, 0));
        QTest::mouseRelease(&canvas, Qt::LeftButton, {}, left - QPoint(5, 0));
        QVERIFY(canvas.compareSplit() < 0.2);
        QCOMPARE(QColor(canvas.grab().toImage().pixel(left)), QColor(250, 20, 200));

        QVERIFY(dit::testing::same_state(doc.state(), with_result));
        QVERIFY(!dit::testing::same_state(doc.state(), before));  // the result itself is kept
        QCOMPARE(doc.undoStack()->index(), before_index);  // nothing was pushed

        history.compareButton()->click();
        QVERIFY(!canvas.isComparing());
        // Where the result was, the canvas is back (the brush outline now follows the mouse on
        // the left, so the whole grab is not compared).
        QCOMPARE(canvas.grab().toImage().pixel(right), plain.pixel(right));
    }

    void transform_buttons_are_one_undo_step_each() {
        Document doc(QSize(200, 200));
        CanvasView canvas;
        dit::ui::PosePanel panel(&canvas);
        panel.setDocument(&doc);
        doc.addPerson(dit::ui::standing_person(doc.canvasSize()));
        // A standing person is left-right symmetric; a raised wrist makes a mirror visible.
        doc.moveJoint(0, dit::studio::kRightWrist, {30, 20});
        doc.sealMerging();
        QVERIFY(panel.transformsBox()->isEnabled());
        const auto buttons = panel.transformsBox()->findChildren<QPushButton*>();
        QCOMPARE(buttons.size(), 9);
        for (int part = 0; part < panel.partBox()->count(); ++part) {
            panel.partBox()->setCurrentIndex(part);
            for (QPushButton* b : buttons) {
                const auto before = doc.people()[0];
                const int count = doc.undoStack()->count();
                b->click();
                // A hand transform of a person without hands changes nothing and adds no step.
                const bool hand = part != 0;
                QCOMPARE(doc.undoStack()->count(), count + (hand ? 0 : 1));
                if (hand) continue;
                QVERIFY2(!(doc.people()[0] == before), qPrintable(b->toolTip()));
                doc.undoStack()->undo();
                QVERIFY(doc.people()[0] == before);
                doc.undoStack()->redo();
            }
        }
    }
};

QTEST_MAIN(TestHistoryCompare)
#include "test_history_compare.moc"
