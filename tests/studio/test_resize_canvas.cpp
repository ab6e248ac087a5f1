// A canvas size change: every layer scaled with the canvas and the generation size following it
// (the size the Generation panel shows), one undo step of the same document that gives back the
// state exactly and keeps the results; and the upscale's request built without a second document.
#include <QSignalSpy>
#include <QtTest>

#include "engine/error.h"
#include "studio/document/document.h"
#include "studio/document/resize_canvas.h"
#include "studio/document/selection.h"
#include "tests/common/document_compare.h"
#include "tests/common/test_helpers.h"

using namespace dit::studio;
using dit::testing::same_state;

namespace {

DocumentState picture_state(QSize size) {
    DocumentState s = DocumentState::blank(size);
    s.image = QImage(size, QImage::Format_RGB888);
    for (int y = 0; y < size.height(); ++y)
        for (int x = 0; x < size.width(); ++x) s.image.setPixelColor(x, y, QColor(x * 3 % 256, y * 5 % 256, 70));
    s.mask.fill(0);
    s.selection = rect_selection(size, QRectF(4, 4, 16, 8));
    Region r{1, "a red circle", Qt::red, blank_gray(size)};
    r.mask.fill(255);
    s.regions.push_back(r);
    s.next_region_id = 2;
    return s;
}

}  // namespace

class TestResizeCanvas : public QObject {
    Q_OBJECT

private slots:
    void every_layer_follows_and_the_generation_size_too() {
        const DocumentState s = picture_state({48, 32});
        const DocumentState big = resized_canvas(s, {96, 64});
        QCOMPARE(big.canvas, QSize(96, 64));
        QCOMPARE(big.image.size(), QSize(96, 64));
        QCOMPARE(big.layers.front().pixels.size(), QSize(96, 64));
        QCOMPARE(big.mask.size(), QSize(96, 64));
        QCOMPARE(big.selection.size(), QSize(96, 64));
        QCOMPARE(big.regions.front().mask.size(), QSize(96, 64));
        QCOMPARE(QSize(big.settings.width, big.settings.height), QSize(96, 64));
        // Above 2048 a side the generation size is the largest the engine takes, aspect kept.
        const DocumentState huge = resized_canvas(s, {4096, 2720});
        QCOMPARE(QSize(huge.settings.width, huge.settings.height), QSize(2048, 1360));
        QCOMPARE(generation_size({100, 60}), QSize(96, 64));
        QVERIFY(dit::testing::error_of([&] { resized_canvas(s, {0, 10}); }).find("canvas size 0x10") != std::string::npos);
    }

    void a_size_change_is_one_undo_step_that_keeps_the_results() {
        Document doc(picture_state({48, 32}));
        const DocumentState before = doc.state();
        QSignalSpy canvas(&doc, &Document::canvasChanged);
        doc.changeCanvas(resized_canvas(doc.state(), {96, 64}), "Canvas size");
        QCOMPARE(canvas.count(), 1);
        QCOMPARE(doc.undoStack()->count(), 1);
        QCOMPARE(doc.canvasSize(), QSize(96, 64));
        QVERIFY(doc.isModified());
        const DocumentState after = doc.state();
        GalleryItem item;
        item.image = QImage(96, 64, QImage::Format_RGB888);
        item.image.fill(Qt::blue);
        doc.addResult(item);  // a result is kept whatever is undone
        doc.undoStack()->undo();
        QCOMPARE(canvas.count(), 2);
        QCOMPARE(int(doc.results().size()), 1);
        DocumentState without = doc.state();
        without.results.clear();
        QVERIFY(same_state(without, before));
        doc.undoStack()->redo();
        without = doc.state();
        without.results.clear();
        QVERIFY(same_state(without, after));
        // The next edit works at the new size.
        doc.selectAll();
        QCOMPARE(doc.selection().size(), QSize(96, 64));
    }

    void the_upscale_request_is_at_the_output_size_and_leaves_the_document() {
        DocumentState s = picture_state({48, 32});
        s.settings.mode = GenerationMode::Inpaint;  // whatever the mode, an upscale refines the picture
        Document doc(s);
        const DocumentState before = doc.state();
        const dit::Request r = doc.toUpscaleRequest({96, 64}, 9);
        QCOMPARE(r.width, 96);
        QCOMPARE(r.height, 64);
        QCOMPARE(r.seed, quint64(9));
        QVERIFY(!r.mask.has_value());
        QVERIFY(r.init_image.has_value());
        QCOMPARE(r.init_image->width, 48);  // the worker enlarges it
        QCOMPARE(r.regions.size(), size_t(1));
        QCOMPARE(r.regions.front().mask.width, 96);
        QVERIFY(same_state(doc.state(), before));
        QCOMPARE(doc.undoStack()->count(), 0);
        Document empty(QSize(32, 32));
        QVERIFY(dit::testing::error_of([&] { empty.toUpscaleRequest({64, 64}); }).find("no image") != std::string::npos);
    }
};

QTEST_MAIN(TestResizeCanvas)
#include "test_resize_canvas.moc"
