// The regional-prompt editor in the prompt dock, driven as a user drives it: Add, type the
// region's prompt, paint its mask on the canvas with the mouse, recolour, remove; every edit one
// undo step (Ctrl+Z), the region shown as a tinted overlay, its token count against the limit,
// and the painted region going into the engine request.
#include <QLabel>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QSlider>
#include <QStandardPaths>
#include <QtTest>
#include <memory>

#include "ui/brush_options.h"
#include "ui/canvas_view.h"
#include "tests/common/test_window.h"
#include "ui/main_window.h"
#include "ui/brush_options.h"
#include "ui/mask_panel.h"
#include "ui/prompt_panel.h"
#include "ui/region_editor.h"

using dit::studio::Document;
using dit::ui::CanvasTool;
using dit::ui::MainWindow;

namespace {


// A left-button stroke on the canvas between two canvas points.
void stroke(dit::ui::CanvasView* canvas, QPointF from, QPointF to) {
    const QPoint a = canvas->canvasToWidget(from).toPoint(), b = canvas->canvasToWidget(to).toPoint();
    dit::testing::drag(canvas, a, b);
}

}  // namespace

class TestRegionEditor : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void addTypePaintRecolourRemoveAndUndo() {
        auto w = dit::testing::make_test_window();
        QApplication::setActiveWindow(w.get());
        QVERIFY(QTest::qWaitForWindowActive(w.get()));
        Document* doc = w->document();
        auto* canvas = w->canvas();
        auto* ed = w->promptPanel()->regionEditor();
        QVERIFY(ed);
        const int base = doc->undoStack()->count();

        // Add: a region with a palette colour, selected, and the brush on its mask.
        QTest::mouseClick(ed->addButton(), Qt::LeftButton);
        QCOMPARE(int(doc->regions().size()), 1);
        const quint32 id = doc->regions()[0].id;
        QCOMPARE(ed->list()->count(), 1);
        QCOMPARE(ed->selectedRegion(), id);
        QCOMPARE(canvas->tool(), CanvasTool::Region);
        QCOMPARE(canvas->activeRegion(), id);
        QVERIFY(ed->paintButton()->isChecked());
        QCOMPARE(doc->undoStack()->count(), base + 1);

        // Typing the region's prompt: one undo step; its tokens counted against the limit.
        QTest::keyClicks(ed->promptEdit(), QStringLiteral("a red circle"));
        QCOMPARE(doc->region(id)->prompt, QStringLiteral("a red circle"));
        QCOMPARE(doc->undoStack()->count(), base + 2);
        qInfo("region tokens: %s", qPrintable(ed->tokenLabel()->text()));
        QVERIFY(ed->tokenLabel()->text().contains(QStringLiteral(" / 120 tokens")));
        QVERIFY(ed->list()->item(0)->text().contains(QStringLiteral("a red circle")));
        canvas->setFocus();  // leaving the field ends the typing step

        // Paint its mask with the mouse: pixels under the stroke set, the inpaint mask untouched.
        canvas->setBrushSize(10);
        w->brushOptions()->hardnessSlider()->setValue(100);
        const QImage mask_before = doc->mask();
        const QImage view_before = canvas->grab().toImage();
        stroke(canvas, {20, 30}, {70, 30});
        QCOMPARE(doc->undoStack()->count(), base + 3);
        const QImage painted = doc->region(id)->mask;
        for (int x : {20, 35, 45, 60, 70}) QCOMPARE(int(painted.pixelColor(x, 30).red()), 255);
        QCOMPARE(int(painted.pixelColor(45, 5).red()), 0);
        QCOMPARE(doc->mask(), mask_before);
        // Shown as a tint of the region's colour over the canvas.
        const QColor colour = doc->region(id)->colour;
        const QPoint at = canvas->canvasToWidget({45, 30}).toPoint();
        const QColor was = view_before.pixelColor(at), now = canvas->grab().toImage().pixelColor(at);
        qInfo("overlay at the stroke: %s -> %s (region %s)", qPrintable(was.name()), qPrintable(now.name()),
              qPrintable(colour.name()));
        QVERIFY(now != was);
        QVERIFY(std::abs(now.red() - colour.red()) < std::abs(was.red() - colour.red()) ||
                std::abs(now.blue() - colour.blue()) < std::abs(was.blue() - colour.blue()));
        // The engine request carries it, at the request's size.
        const dit::Request r = doc->toRequest();
        QCOMPARE(r.regions.size(), size_t(1));
        QCOMPARE(r.regions[0].prompt, std::string("a red circle"));
        QCOMPARE(r.regions[0].mask.width, doc->settings().width);

        // The eraser erases the region's mask too.
        w->brushOptions()->eraserButton()->setChecked(true);
        stroke(canvas, {45, 30}, {45, 30});
        QCOMPARE(int(doc->region(id)->mask.pixelColor(45, 30).red()), 0);
        QCOMPARE(doc->undoStack()->count(), base + 4);
        QTest::keyClick(w.get(), Qt::Key_Z, Qt::ControlModifier);
        QCOMPARE(doc->region(id)->mask, painted);
        w->brushOptions()->paintButton()->setChecked(true);

        // A new colour is a step of its own.
        QVERIFY(ed->setSelectedColour(QColor(240, 200, 20)));
        QCOMPARE(doc->region(id)->colour, QColor(240, 200, 20));
        QCOMPARE(doc->undoStack()->count(), base + 4);

        // A second region is a separate mask; selecting the first again paints the first.
        QTest::mouseClick(ed->addButton(), Qt::LeftButton);
        QCOMPARE(int(doc->regions().size()), 2);
        QVERIFY(doc->regions()[1].colour != doc->regions()[0].colour);
        const quint32 id2 = doc->regions()[1].id;
        QCOMPARE(canvas->activeRegion(), id2);
        ed->selectRegion(id);
        QCOMPARE(canvas->activeRegion(), id);
        QCOMPARE(ed->promptEdit()->toPlainText(), QStringLiteral("a red circle"));

        // Remove, then Ctrl+Z brings it back with its painted mask.
        QTest::mouseClick(ed->removeButton(), Qt::LeftButton);
        QVERIFY(doc->region(id) == nullptr);
        QCOMPARE(ed->list()->count(), 1);
        QTest::keyClick(w.get(), Qt::Key_Z, Qt::ControlModifier);
        QVERIFY(doc->region(id) != nullptr);
        QCOMPARE(doc->region(id)->mask, painted);
        QCOMPARE(ed->list()->count(), 2);

        // Undo everything: the colour, the stroke, the typing, the regions.
        QTest::keyClick(w.get(), Qt::Key_Z, Qt::ControlModifier);  // second region
        QCOMPARE(int(doc->regions().size()), 1);
        QTest::keyClick(w.get(), Qt::Key_Z, Qt::ControlModifier);  // colour
        QCOMPARE(doc->region(id)->colour, colour);
        QTest::keyClick(w.get(), Qt::Key_Z, Qt::ControlModifier);  // stroke
        QCOMPARE(doc->region(id)->mask, dit::studio::blank_gray(doc->canvasSize()));
        QTest::keyClick(w.get(), Qt::Key_Z, Qt::ControlModifier);  // typing
        QCOMPARE(doc->region(id)->prompt, QString());
        QCOMPARE(ed->promptEdit()->toPlainText(), QString());
        QTest::keyClick(w.get(), Qt::Key_Z, Qt::ControlModifier);  // add
        QVERIFY(doc->regions().empty());
        QCOMPARE(ed->list()->count(), 0);
        QCOMPARE(doc->undoStack()->count() - doc->undoStack()->index(), 6);
        QVERIFY(!ed->promptEdit()->isEnabled());
        QVERIFY(canvas->tool() != CanvasTool::Region);  // nothing left to paint
        // ... and redo replays them.
        for (int i = 0; i < 3; ++i) QTest::keyClick(w.get(), Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier);
        QCOMPARE(doc->region(id)->mask, painted);
        QCOMPARE(doc->region(id)->prompt, QStringLiteral("a red circle"));
    }

    void regionToolWithoutARegionPaintsNothing() {
        auto w = dit::testing::make_test_window();
        Document* doc = w->document();
        auto* canvas = w->canvas();
        canvas->setTool(CanvasTool::Region);  // e.g. the R key with no region yet
        const int count = doc->undoStack()->count();
        stroke(canvas, {10, 10}, {50, 40});
        QCOMPARE(doc->undoStack()->count(), count);
        QCOMPARE(doc->mask(), dit::studio::blank_gray(doc->canvasSize()));
        // The paint button cannot be turned on without a region.
        auto* ed = w->promptPanel()->regionEditor();
        ed->paintButton()->setChecked(true);
        QVERIFY(!ed->paintButton()->isChecked() || !ed->paintButton()->isEnabled());
    }
};

QTEST_MAIN(TestRegionEditor)
#include "test_region_editor.moc"
