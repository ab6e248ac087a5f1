// The canvas as an editor, on the real window: the layers dock drives the image layer stack, the
// colour tools paint into the selected layer (one stroke, one undo step), the eyedropper reads
// the composite, the fill fills, tablet pressure reaches the brush, and a result lands as a layer.
#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QSpinBox>
#include <QPointingDevice>
#include <QSignalSpy>
#include <QSlider>
#include <QTabletEvent>
#include <QToolButton>
#include <QtTest>

#include "studio/document/selection.h"
#include "tests/common/test_window.h"
#include "ui/colour_options.h"
#include "ui/gallery_panel.h"
#include "ui/generation_panel.h"
#include "ui/prompt_panel.h"
#include "ui/layers_panel.h"
#include "ui/tool_bar.h"
#include "ui/upscale_dialog.h"

using dit::studio::BlendMode;
using dit::studio::Document;
using dit::ui::CanvasTool;
using dit::ui::CanvasView;
using dit::ui::MainWindow;

namespace {

QPoint on_widget(CanvasView* c, QPointF canvas_point) { return c->canvasToWidget(canvas_point).toPoint(); }

// A pen event as a tablet driver delivers it, straight to the canvas.
void send_tablet(CanvasView* c, QEvent::Type type, QPointF canvas_point, double pressure) {
    static const QPointingDevice* pen = [] {
        auto* d = new QPointingDevice(QStringLiteral("test pen"), 42, QInputDevice::DeviceType::Stylus,
                                      QPointingDevice::PointerType::Pen,
                                      QInputDevice::Capability::Position | QInputDevice::Capability::Pressure, 1, 3);
        return d;
    }();
    const QPointF w = c->canvasToWidget(canvas_point);
    QTabletEvent e(type, pen, w, c->mapToGlobal(w), pressure, 0, 0, 0, 0, 0, {},
                   type == QEvent::TabletRelease ? Qt::LeftButton : Qt::LeftButton,
                   type == QEvent::TabletRelease ? Qt::NoButton : Qt::LeftButton);
    QApplication::sendEvent(c, &e);
}

int alpha_at(const Document* d, quint32 layer, int x, int y) { return d->imageLayer(layer)->pixels.pixelColor(x, y).alpha(); }

}  // namespace

class TestEditor : public QObject {
    Q_OBJECT

private slots:
    void the_layers_dock_edits_the_stack() {
        auto w = dit::testing::make_test_window();
        Document* doc = w->document();
        dit::ui::LayersPanel* panel = w->layersPanel();
        QVERIFY(doc->imageLayers().empty());
        panel->addButton()->click();
        panel->addButton()->click();
        QCOMPARE(int(doc->imageLayers().size()), 2);
        QCOMPARE(panel->imageLayerList()->count(), 2);
        // Top of the list is the top of the stack, and the new layer is selected.
        QCOMPARE(panel->imageLayerList()->item(0)->data(Qt::UserRole).toUInt(), doc->imageLayers().back().id);
        QCOMPARE(panel->imageLayerList()->currentRow(), 0);
        // Choosing a row selects its layer (no undo step), and back.
        const int steps = doc->undoStack()->count();
        panel->imageLayerList()->setCurrentRow(1);
        QCOMPARE(doc->currentLayer(), doc->imageLayers().front().id);
        panel->imageLayerList()->setCurrentRow(0);
        QCOMPARE(doc->undoStack()->count(), steps);
        const quint32 top = doc->currentLayer();
        QCOMPARE(top, doc->imageLayers().back().id);
        panel->downButton()->click();
        QCOMPARE(doc->imageLayers().front().id, top);
        panel->blendCombo()->setCurrentIndex(1);
        emit panel->blendCombo()->activated(1);
        QCOMPARE(doc->imageLayer(top)->blend, BlendMode::Multiply);
        panel->imageOpacitySlider()->setValue(40);
        QCOMPARE(doc->imageLayer(top)->opacity, 0.4);
        // Rename and hide through the list item.
        QListWidgetItem* it = panel->imageLayerList()->item(1);
        QCOMPARE(it->data(Qt::UserRole).toUInt(), top);
        it->setText("sky");
        QCOMPARE(doc->imageLayer(top)->name, QString("sky"));
        panel->imageLayerList()->item(1)->setCheckState(Qt::Unchecked);
        QVERIFY(!doc->imageLayer(top)->visible);
        panel->duplicateButton()->click();
        QCOMPARE(int(doc->imageLayers().size()), 3);
        panel->deleteButton()->click();
        QCOMPARE(int(doc->imageLayers().size()), 2);
        // Everything undoes back to no layers.
        while (doc->undoStack()->canUndo()) doc->undoStack()->undo();
        QVERIFY(doc->imageLayers().empty());
        QCOMPARE(panel->imageLayerList()->count(), 0);
    }

    void a_stroke_paints_the_selected_layer_in_one_step() {
        auto w = dit::testing::make_test_window();
        Document* doc = w->document();
        CanvasView* c = w->canvas();
        QApplication::setActiveWindow(w.get());
        QVERIFY(QTest::qWaitForWindowActive(w.get()));
        QTest::keyClick(w.get(), Qt::Key_B);
        QCOMPARE(c->tool(), CanvasTool::Paint);
        QVERIFY(w->toolBar()->toolAction(CanvasTool::Paint)->isChecked());
        c->setPaintColour(QColor(200, 30, 40));
        c->setBrushSize(6);
        c->setBrushHardness(1);
        const int before = doc->undoStack()->count();
        // Painting with no layer starts one ("Paint"), then the stroke: two steps.
        dit::testing::drag(c, on_widget(c, {10, 30}), on_widget(c, {80, 30}), 10);
        QCOMPARE(int(doc->imageLayers().size()), 1);
        const quint32 id = doc->currentLayer();
        QCOMPARE(doc->undoStack()->count(), before + 2);
        QCOMPARE(doc->image().pixelColor(45, 30), QColor(200, 30, 40));
        QCOMPARE(alpha_at(doc, id, 45, 30), 255);
        QCOMPARE(alpha_at(doc, id, 45, 10), 0);
        QVERIFY(w->colourOptions()->recentColours().contains(QColor(200, 30, 40)));
        doc->undoStack()->undo();
        QCOMPARE(alpha_at(doc, id, 45, 30), 0);
        QCOMPARE(doc->image().pixelColor(45, 30), QColor(Qt::white));
        doc->undoStack()->redo();

        // The eraser (E) takes the paint away.
        QTest::keyClick(w.get(), Qt::Key_E);
        QVERIFY(c->brush().eraser());
        dit::testing::drag(c, on_widget(c, {40, 30}), on_widget(c, {50, 30}), 4);
        QCOMPARE(alpha_at(doc, id, 45, 30), 0);
        QTest::keyClick(w.get(), Qt::Key_E);

        // The eyedropper (I) reads the composite.
        QTest::keyClick(w.get(), Qt::Key_I);
        QCOMPARE(c->tool(), CanvasTool::Eyedropper);
        QTest::mouseClick(c, Qt::LeftButton, {}, on_widget(c, {20.5, 30.5}));
        QCOMPARE(c->paintColour(), QColor(200, 30, 40));
        QTest::mouseClick(c, Qt::LeftButton, {}, on_widget(c, {20.5, 5.5}));
        QCOMPARE(c->paintColour(), QColor(Qt::white));  // the paper

        // The fill (F): the white area above the stroke, one undo step.
        c->setPaintColour(QColor(10, 90, 200));
        QTest::keyClick(w.get(), Qt::Key_F);
        QCOMPARE(c->tool(), CanvasTool::Fill);
        const int n = doc->undoStack()->count();
        QTest::mouseClick(c, Qt::LeftButton, {}, on_widget(c, {5.5, 5.5}));
        QCOMPARE(doc->undoStack()->count(), n + 1);
        QCOMPARE(doc->image().pixelColor(90, 2), QColor(10, 90, 200));
        QCOMPARE(doc->image().pixelColor(20, 30), QColor(200, 30, 40));  // the stroke bounds it
    }

    void tablet_pressure_sizes_the_dab() {
        auto w = dit::testing::make_test_window();
        Document* doc = w->document();
        CanvasView* c = w->canvas();
        c->setTool(CanvasTool::Paint);
        c->setBrushSize(20);
        c->setBrushHardness(1);
        c->colourBrush().setOpacity(1);
        w->colourOptions()->pressureOpacityBox()->setChecked(true);
        const int before = doc->undoStack()->count();
        send_tablet(c, QEvent::TabletPress, {20, 32}, 0.25);  // 5 px across, opacity 0.25
        send_tablet(c, QEvent::TabletRelease, {20, 32}, 0.25);
        send_tablet(c, QEvent::TabletPress, {70, 32}, 1.0);   // 20 px across, opacity 1
        send_tablet(c, QEvent::TabletRelease, {70, 32}, 1.0);
        const quint32 id = doc->currentLayer();
        QCOMPARE(doc->undoStack()->count(), before + 3);  // the new layer, two strokes
        QCOMPARE(alpha_at(doc, id, 20, 32), 64);
        QCOMPARE(alpha_at(doc, id, 24, 32), 0);   // outside 2.5 px
        QCOMPARE(alpha_at(doc, id, 70, 32), 255);
        QCOMPARE(alpha_at(doc, id, 78, 32), 255);  // inside 10 px
    }

    void selections_on_the_canvas_and_inpaint_selection() {
        auto w = dit::testing::make_test_window();
        QApplication::setActiveWindow(w.get());
        QVERIFY(QTest::qWaitForWindowActive(w.get()));
        Document* doc = w->document();
        CanvasView* c = w->canvas();
        QTest::keyClick(w.get(), Qt::Key_R, Qt::ControlModifier);
        QCOMPARE(c->tool(), CanvasTool::SelectRect);
        dit::testing::drag(c, on_widget(c, {10, 8}), on_widget(c, {40, 28}), 4);
        const QRectF dragged(c->widgetToCanvas(on_widget(c, {10, 8})), c->widgetToCanvas(on_widget(c, {40, 28})));
        QCOMPARE(doc->selection(), dit::studio::rect_selection(doc->canvasSize(), dragged));
        QVERIFY(doc->hasSelection());
        // The lasso: a triangle drawn point by point.
        QTest::keyClick(w.get(), Qt::Key_L);
        QCOMPARE(c->tool(), CanvasTool::SelectLasso);
        const QPointF a(50, 5), b(90, 5), d(50, 45);
        QTest::mousePress(c, Qt::LeftButton, {}, on_widget(c, a));
        QTest::mouseMove(c, on_widget(c, b));
        QTest::mouseMove(c, on_widget(c, d));
        QTest::mouseRelease(c, Qt::LeftButton, {}, on_widget(c, d));
        const QImage lasso = dit::studio::lasso_selection(
            doc->canvasSize(), QPolygonF({c->widgetToCanvas(on_widget(c, a)), c->widgetToCanvas(on_widget(c, b)),
                                          c->widgetToCanvas(on_widget(c, d))}));
        QCOMPARE(doc->selection(), lasso);
        QTest::keyClick(w.get(), Qt::Key_I, Qt::ControlModifier);
        QCOMPARE(doc->selection().pixelColor(5, 60).value(), 255);
        doc->undoStack()->undo();
        QCOMPARE(doc->selection(), lasso);

        // Inpaint selection: the request's mask is the selection; the mask layer stays empty.
        doc->setImage(QImage(96, 64, QImage::Format_RGB888));
        auto s = doc->settings();
        s.steps = 2;
        s.random_seed = false;
        doc->setSettings(s, "test");
        const QImage mask_before = doc->mask();
        QSignalSpy done(w.get(), &MainWindow::resultApplied);
        QSignalSpy ended(w.get(), &MainWindow::generationEnded);
        w->findChild<QAction*>("inpaintSelection")->trigger();
        QVERIFY(ended.wait(120000));
        QCOMPARE(done.count(), 1);
        const dit::Request& r = doc->results().back().request;
        QVERIFY(r.mask.has_value());
        for (int y = 0; y < 64; ++y)
            for (int x = 0; x < 96; ++x) QCOMPARE(r.mask->value[size_t(y) * 96 + size_t(x)], lasso.constScanLine(y)[x]);
        QCOMPARE(doc->mask(), mask_before);
        QCOMPARE(doc->settings().mode, dit::studio::GenerationMode::Txt2Img);
    }

    void a_batch_comes_back_grouped_and_one_is_picked() {
        auto w = dit::testing::make_test_window();
        Document* doc = w->document();
        w->generationPanel()->batchSpin()->setValue(3);
        QCOMPARE(doc->settings().batch, 3);
        auto s = doc->settings();
        s.steps = 2;
        s.seed = 40;
        s.random_seed = false;
        doc->setSettings(s, "test");
        w->promptPanel()->promptEdit()->setPlainText("a red circle");
        QSignalSpy ended(w.get(), &MainWindow::generationEnded);
        w->generate();
        QVERIFY(ended.wait(120000));
        QCOMPARE(ended.count(), 1);  // one request, three images
        QCOMPARE(int(doc->results().size()), 3);
        for (int k = 0; k < 3; ++k) {
            QCOMPARE(doc->results()[size_t(k)].request.seed, quint64(40 + k));
            QCOMPARE(doc->results()[size_t(k)].id, doc->results()[0].id);
        }
        QCOMPARE(int(doc->imageLayers().size()), 1);  // the first landed; the rest wait
        QCOMPARE(doc->image(), doc->results()[0].image);
        QListWidget* list = w->galleryPanel()->list();
        QCOMPARE(list->count(), 3);
        QVERIFY2(list->item(0)->text().contains("3/3"), qPrintable(list->item(0)->text()));
        // Picking the second lands it as a layer of its own.
        w->applyResult(1);
        QCOMPARE(int(doc->imageLayers().size()), 2);
        QCOMPARE(doc->image(), doc->results()[1].image);
    }

    void a_result_lands_as_a_layer_or_replaces_the_selected_one() {
        auto w = dit::testing::make_test_window();
        Document* doc = w->document();
        dit::studio::GalleryItem it;
        it.image = QImage(96, 64, QImage::Format_RGB888);
        it.image.fill(QColor(1, 2, 3));
        it.request.seed = 5;
        w->layersPanel()->resultsAsLayersBox()->setChecked(true);
        doc->addResult(it);
        w->applyResult(0);
        w->applyResult(0);
        QCOMPARE(int(doc->imageLayers().size()), 2);
        w->layersPanel()->resultsAsLayersBox()->setChecked(false);
        w->applyResult(0);
        QCOMPARE(int(doc->imageLayers().size()), 2);
        QCOMPARE(doc->image().pixelColor(3, 3), QColor(1, 2, 3));
        w->layersPanel()->resultsAsLayersBox()->setChecked(true);
    }

    // The upscale's default strength is the one measured best for fidelity and seams
    // (docs/upscale.md), the same in the dialog, the worker's request and the CLI (the engine's).
    void the_upscale_dialog_starts_at_the_measured_strength() {
        dit::ui::UpscaleDialog dialog(QSize(96, 64), 64);
        QCOMPARE(dialog.strength(), 0.1);
        QCOMPARE(double(dit::studio::GenerationRequest::Upscale{}.strength), double(0.1f));
    }

    // A result of another size (an upscale's) changes the canvas in one undo step of the same
    // document: the Generation panel's size fields follow it, undo gives back the old size and
    // picture, and the results stay.
    void a_canvas_size_change_is_one_undo_step_and_the_size_fields_follow() {
        auto w = dit::testing::make_test_window();
        QImage img(96, 64, QImage::Format_RGB888);
        img.fill(QColor(10, 200, 30));
        QVERIFY(w->openImage(img, QStringLiteral("green")));
        Document* doc = w->document();
        const int steps_before = doc->undoStack()->count();
        dit::studio::GalleryItem it;
        it.image = QImage(192, 128, QImage::Format_RGB888);
        it.image.fill(QColor(1, 2, 3));
        doc->addResult(it);
        w->applyResult(0);
        QCOMPARE(w->document(), doc);  // the same document: its history goes on
        QCOMPARE(doc->canvasSize(), QSize(192, 128));
        QCOMPARE(doc->settings().width, 192);
        QCOMPARE(w->generationPanel()->widthSpin()->value(), 192);
        QCOMPARE(w->generationPanel()->heightSpin()->value(), 128);
        QCOMPARE(w->canvas()->document(), doc);
        QCOMPARE(doc->undoStack()->count(), steps_before + 1);
        doc->undoStack()->undo();
        QCOMPARE(doc->canvasSize(), QSize(96, 64));
        QCOMPARE(doc->image(), img);
        QCOMPARE(w->generationPanel()->widthSpin()->value(), 96);
        QCOMPARE(int(doc->results().size()), 1);
        doc->undoStack()->redo();
        QCOMPARE(doc->canvasSize(), QSize(192, 128));
        QCOMPARE(doc->image().pixelColor(5, 5), QColor(1, 2, 3));
        // The canvas view draws the new size: its overlays were rebuilt for it.
        QVERIFY(w->canvas()->grab().width() > 0);
    }
};

QTEST_MAIN(TestEditor)
#include "test_editor.moc"
