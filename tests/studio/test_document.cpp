// The document model: every edit is an undo command whose undo and redo restore the exact
// bytes; typing, joint drags and slider drags merge into one command until sealed.
#include <QSignalSpy>
#include <QtTest>

#include "engine/error.h"
#include "tests/common/document_compare.h"
#include "studio/document/document.h"
#include "studio/document/mask_brush.h"

using namespace dit::studio;

namespace {

using dit::testing::same_state;

QImage noise_gray(QSize s, quint32 seed) {
    QImage img(s, QImage::Format_Grayscale8);
    QRandomGenerator rng(seed);
    for (int y = 0; y < s.height(); ++y)
        for (int x = 0; x < s.width(); ++x) img.scanLine(y)[x] = uint8_t(rng.bounded(256));
    return img;
}

Person standing(float dx = 0) {
    Person p;
    for (int i = 0; i < kBodyKeypoints; ++i) p.body[size_t(i)] = {10.f + dx + i, 5.f + 2 * i, 1.f};
    return p;
}

// Runs `edit` and checks: undo restores the state before, redo the state after, twice over.
void check_undo_redo(Document& doc, const char* what, const std::function<void()>& edit) {
    const DocumentState before = doc.state();
    const int count = doc.undoStack()->count();
    edit();
    const DocumentState after = doc.state();
    QVERIFY2(!same_state(before, after), what);  // the edit changed something
    QVERIFY2(doc.undoStack()->count() == count + 1, what);
    for (int round = 0; round < 2; ++round) {
        doc.undoStack()->undo();
        QVERIFY2(same_state(doc.state(), before), what);
        doc.undoStack()->redo();
        QVERIFY2(same_state(doc.state(), after), what);
    }
}

}  // namespace

class TestDocument : public QObject {
    Q_OBJECT

private slots:
    void blank_document() {
        Document doc(QSize(64, 48));
        QCOMPARE(doc.mask().size(), QSize(64, 48));
        QCOMPARE(doc.mask().format(), QImage::Format_Grayscale8);
        QCOMPARE(doc.edges().format(), QImage::Format_Grayscale8);
        QVERIFY(doc.image().isNull());
        QCOMPARE(doc.settings().width, 64);
        QVERIFY(!doc.isModified());
    }

    void every_command_undoes_and_redoes_exactly() {
        Document doc(QSize(64, 48));
        // A noisy mask first, so every mask op has something to change.
        doc.paintPatch({Document::PaintTarget::Mask}, {0, 0}, doc.mask(), noise_gray({64, 48}, 1), "noise");
        check_undo_redo(doc, "fill", [&] { doc.fillMask(); });
        check_undo_redo(doc, "clear", [&] { doc.clearMask(); });
        doc.paintPatch({Document::PaintTarget::Mask}, {0, 0}, doc.mask(), noise_gray({64, 48}, 2), "noise");
        check_undo_redo(doc, "invert", [&] { doc.invertMask(); });
        check_undo_redo(doc, "grow", [&] { doc.growMask(3); });
        check_undo_redo(doc, "shrink", [&] { doc.shrinkMask(2); });
        check_undo_redo(doc, "feather", [&] { doc.featherMask(4); });
        QImage rgb(64, 48, QImage::Format_RGB32);
        rgb.fill(QColor(10, 200, 30));
        check_undo_redo(doc, "set image", [&] { doc.setImage(rgb); });
        QCOMPARE(doc.image().format(), QImage::Format_RGB888);
        MaskBrush brush;
        brush.setSize(9);
        brush.setHardness(0.3);
        for (auto kind : {Document::PaintTarget::Mask, Document::PaintTarget::Edges}) {
            check_undo_redo(doc, "stroke", [&] {
                QImage& l = doc.beginStroke({kind});
                brush.begin(&l, {5, 5});
                brush.lineTo({40, 30});
                doc.endStroke(brush.end());
            });
        }
        check_undo_redo(doc, "eraser stroke", [&] {
            brush.setEraser(true);
            QImage& l = doc.beginStroke({Document::PaintTarget::Mask});
            brush.begin(&l, {60, 5});
            brush.lineTo({5, 40});
            doc.endStroke(brush.end());
            brush.setEraser(false);
        });
        check_undo_redo(doc, "add person", [&] { doc.addPerson(standing()); });
        check_undo_redo(doc, "add person 2", [&] { doc.addPerson(standing(20)); });
        check_undo_redo(doc, "move joint", [&] { doc.moveJoint(1, 4, {33, 44}); });
        doc.sealMerging();
        check_undo_redo(doc, "hide joint", [&] { doc.setJointVisible(0, 2, false); });
        check_undo_redo(doc, "remove person", [&] { doc.removePerson(0); });
        quint32 id = 0;
        check_undo_redo(doc, "add region", [&] { id = doc.addRegion("a cat", Qt::red); });
        check_undo_redo(doc, "region stroke", [&] {
            QImage& l = doc.beginStroke({Document::PaintTarget::Region, id});
            brush.begin(&l, {20, 20});
            brush.lineTo({30, 25});
            doc.endStroke(brush.end());
        });
        check_undo_redo(doc, "edit region", [&] { doc.editRegion(id, "a dog", Qt::blue); });
        check_undo_redo(doc, "edit region prompt", [&] { doc.editRegion(id, "a dog in the sun", Qt::blue); });
        doc.sealMerging();
        check_undo_redo(doc, "remove region", [&] { doc.removeRegion(id); });
        QImage photo(30, 50, QImage::Format_ARGB32);
        photo.fill(QColor(200, 100, 50));
        check_undo_redo(doc, "pose background", [&] { doc.setPoseBackground(photo); });
        QCOMPARE(doc.state().pose_background.format(), QImage::Format_RGB888);
        QCOMPARE(doc.state().pose_background.size(), QSize(30, 50));  // its own size, not the canvas's
        check_undo_redo(doc, "pose background opacity", [&] { doc.setPoseBackgroundOpacity(0.8); });
        doc.sealMerging();
        check_undo_redo(doc, "remove pose background", [&] { doc.setPoseBackground({}); });
        check_undo_redo(doc, "prompt", [&] { doc.setPrompt("a red circle"); });
        check_undo_redo(doc, "negative", [&] { doc.setNegativePrompt("blurry"); });
        GenerationSettings s = doc.settings();
        s.steps = 8;
        check_undo_redo(doc, "settings", [&] { doc.setSettings(s, "steps"); });
        // Undo everything: back to the blank document.
        while (doc.undoStack()->canUndo()) doc.undoStack()->undo();
        QVERIFY(same_state(doc.state(), DocumentState::blank({64, 48})));
    }

    void region_typing_and_opacity_drags_merge_until_sealed() {
        Document doc(QSize(32, 32));
        const quint32 id = doc.addRegion("", Qt::red);
        const int base = doc.undoStack()->count();
        for (const char* t : {"a", "a c", "a cat"}) doc.editRegion(id, t, Qt::red);
        QCOMPARE(doc.undoStack()->count(), base + 1);
        doc.editRegion(id, "a cat", Qt::green);  // a colour change is a step of its own
        QCOMPARE(doc.undoStack()->count(), base + 2);
        doc.editRegion(id, "a cats", Qt::green);  // typing does not fold into a colour change
        QCOMPARE(doc.undoStack()->count(), base + 3);
        doc.sealMerging();
        doc.editRegion(id, "a cat!", Qt::green);
        QCOMPARE(doc.undoStack()->count(), base + 4);
        doc.undoStack()->undo();
        doc.undoStack()->undo();
        doc.undoStack()->undo();
        QCOMPARE(doc.region(id)->prompt, QString("a cat"));
        QCOMPARE(doc.region(id)->colour, QColor(Qt::red));
        doc.undoStack()->undo();
        QCOMPARE(doc.region(id)->prompt, QString());

        const int n = doc.undoStack()->index();  // the undone steps above are dropped by the next push
        for (double o : {0.6, 0.7, 0.9}) doc.setPoseBackgroundOpacity(o);
        QCOMPARE(doc.undoStack()->count(), n + 1);
        doc.setPoseBackgroundOpacity(7);  // clamped
        QCOMPARE(doc.state().pose_background_opacity, 1.0);
        doc.undoStack()->undo();
        QCOMPARE(doc.state().pose_background_opacity, 0.5);
    }

    void removed_region_keeps_its_painted_mask() {
        Document doc(QSize(32, 32));
        const quint32 id = doc.addRegion("sky", Qt::cyan);
        const QImage painted = noise_gray({32, 32}, 7);
        doc.paintPatch({Document::PaintTarget::Region, id}, {0, 0}, doc.region(id)->mask, painted, "paint");
        doc.removeRegion(id);
        QVERIFY(doc.region(id) == nullptr);
        doc.undoStack()->undo();
        QVERIFY(doc.region(id) != nullptr);
        QCOMPARE(doc.region(id)->mask, painted);
        QCOMPARE(doc.addRegion("new", Qt::green), id + 1);  // ids are never reused
    }

    void joint_drag_merges_until_sealed() {
        Document doc(QSize(64, 64));
        doc.addPerson(standing());
        const Keypoint start = doc.people()[0].body[3];
        const int count = doc.undoStack()->count();
        for (int i = 1; i <= 10; ++i) doc.moveJoint(0, 3, {20.0 + i, 30.0 - i});
        QCOMPARE(doc.undoStack()->count(), count + 1);  // one drag, one command
        QCOMPARE(doc.people()[0].body[3].x, 30.f);
        doc.moveJoint(0, 4, {1, 1});  // another joint: a new command
        QCOMPARE(doc.undoStack()->count(), count + 2);
        doc.sealMerging();  // mouse released
        doc.moveJoint(0, 4, {2, 2});
        QCOMPARE(doc.undoStack()->count(), count + 3);
        doc.undoStack()->undo();
        doc.undoStack()->undo();
        doc.undoStack()->undo();
        QCOMPARE(doc.people()[0].body[3], start);
    }

    void typing_merges_until_sealed() {
        Document doc(QSize(16, 16));
        for (const char* s : {"a", "a r", "a re", "a red"}) doc.setPrompt(s);
        QCOMPARE(doc.undoStack()->count(), 1);
        doc.setNegativePrompt("b");  // the other field: its own command
        QCOMPARE(doc.undoStack()->count(), 2);
        doc.setPrompt("a red cat");
        QCOMPARE(doc.undoStack()->count(), 3);
        doc.sealMerging();
        doc.setPrompt("a red cat!");
        doc.setPrompt("a red cat!!");
        QCOMPARE(doc.undoStack()->count(), 4);
        doc.undoStack()->undo();
        QCOMPARE(doc.prompt(), QString("a red cat"));
        doc.undoStack()->undo();
        doc.undoStack()->undo();
        doc.undoStack()->undo();
        QCOMPARE(doc.prompt(), QString());
        QCOMPARE(doc.negativePrompt(), QString());
    }

    void settings_merge_per_field() {
        Document doc(QSize(16, 16));
        GenerationSettings s = doc.settings();
        for (double cfg : {5.0, 5.5, 6.0}) {
            s.cfg = cfg;
            doc.setSettings(s, "cfg");
        }
        QCOMPARE(doc.undoStack()->count(), 1);
        s.steps = 4;
        doc.setSettings(s, "steps");
        QCOMPARE(doc.undoStack()->count(), 2);
        doc.setSettings(s, "steps");  // no change, no command
        QCOMPARE(doc.undoStack()->count(), 2);
        doc.undoStack()->undo();
        doc.undoStack()->undo();
        QCOMPARE(doc.settings(), GenerationSettings(DocumentState::blank({16, 16}).settings));
    }

    void stroke_signals_its_rect() {
        Document doc(QSize(64, 64));
        QSignalSpy spy(&doc, &Document::layerChanged);
        MaskBrush brush;
        brush.setSize(6);
        brush.setHardness(1);
        QImage& l = doc.beginStroke({Document::PaintTarget::Mask});
        doc.strokeUpdated(brush.begin(&l, {10, 10}));
        doc.strokeUpdated(brush.lineTo({30, 10}));
        const QRect dirty = brush.end();
        doc.endStroke(dirty);
        QVERIFY(spy.size() >= 3);
        QCOMPARE(spy.last().at(0).value<Document::Layer>(), Document::Layer::Mask);
        QCOMPARE(spy.last().at(1).toRect(), dirty);
        QCOMPARE(dirty, QRect(QPoint(7, 7), QPoint(32, 12)));
        doc.undoStack()->undo();
        QCOMPARE(doc.mask(), blank_gray({64, 64}));
    }

    void errors_name_the_problem() {
        Document doc(QSize(32, 32));
        auto msg = [](const std::function<void()>& f) {
            try {
                f();
            } catch (const dit::Error& e) {
                return QString(e.what());
            }
            return QString("<no error>");
        };
        QCOMPARE(msg([&] { doc.setImage(QImage(10, 10, QImage::Format_RGB32)); }),
                 QString("image is 10x10 but the canvas is 32x32"));
        QCOMPARE(msg([&] { doc.moveJoint(0, 1, {}); }), QString("person 0 does not exist"));
        QCOMPARE(msg([&] { doc.removeRegion(9); }), QString("region 9 does not exist"));
        QCOMPARE(doc.undoStack()->count(), 0);  // failed edits leave no command
    }

    void request_from_the_document() {
        Document doc(QSize(96, 64));
        doc.setPrompt("a red circle");
        doc.setNegativePrompt("blurry");
        GenerationSettings s = doc.settings();
        s.model_dir = "/models/pixart";
        s.steps = 7;
        s.sampler = "euler";
        s.cfg = 3;
        s.seed = 42;
        s.random_seed = false;
        doc.setSettings(s, "all");
        dit::Request r = doc.toRequest();
        QCOMPARE(QString::fromStdString(r.model_dir.string()), QString("/models/pixart"));
        QCOMPARE(r.prompt, std::string("a red circle"));
        QCOMPARE(r.negative_prompt, std::string("blurry"));
        QCOMPARE(r.width, 96);
        QCOMPARE(r.height, 64);
        QCOMPARE(r.steps, 7);
        QCOMPARE(r.sampler, std::string("euler"));
        QCOMPARE(r.seed, uint64_t(42));
        QVERIFY(!r.init_image);
        s.mode = GenerationMode::Img2Img;
        doc.setSettings(s, "mode");
        QVERIFY_THROWS_EXCEPTION(dit::Error, doc.toRequest());  // no image layer
        QImage img(96, 64, QImage::Format_RGB888);
        img.fill(Qt::gray);
        doc.setImage(img);
        QCOMPARE(doc.toRequest().init_image->width, 96);
        s.mode = GenerationMode::Inpaint;
        doc.setSettings(s, "mode");
        QVERIFY_THROWS_EXCEPTION(dit::Error, doc.toRequest());  // nothing painted on the mask
        doc.fillMask();
        QVERIFY(doc.toRequest().mask);  // inpainting goes to the engine (test_request.cpp)
    }
};

QTEST_GUILESS_MAIN(TestDocument)
#include "test_document.moc"
