// The image layer stack: blend maths, reorder, opacity, every edit undoing exactly, the stack
// saved and loaded bit for bit (project v4), a v3 project opening as one layer, generation and
// outpainting reading the visible composite.
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QtTest>

#include "engine/error.h"
#include "studio/document/document.h"
#include "studio/document/extend_canvas.h"
#include "studio/project/project_file.h"
#include "tests/common/document_compare.h"
#include "tests/common/test_helpers.h"

using namespace dit::studio;
using dit::testing::same_state;

namespace {

QImage noise_rgba(QSize s, quint32 seed) {
    QImage img(s, QImage::Format_RGBA8888);
    QRandomGenerator rng(seed);
    for (int y = 0; y < s.height(); ++y)
        for (int x = 0; x < 4 * s.width(); ++x) img.scanLine(y)[x] = uint8_t(rng.bounded(256));
    return img;
}

QImage solid(QSize s, QColor c) {
    QImage img(s, QImage::Format_RGBA8888);
    img.fill(c);
    return img;
}

QColor at(const QImage& img, int x, int y) { return img.pixelColor(x, y); }

void check_undo_redo(Document& doc, const char* what, const std::function<void()>& edit) {
    const DocumentState before = doc.state();
    const int count = doc.undoStack()->count();
    edit();
    const DocumentState after = doc.state();
    QVERIFY2(!same_state(before, after), what);
    QVERIFY2(doc.undoStack()->count() == count + 1, what);
    for (int round = 0; round < 2; ++round) {
        doc.undoStack()->undo();
        QVERIFY2(same_state(doc.state(), before), what);
        QVERIFY2(doc.image() == composite_layers(doc.imageLayers(), doc.canvasSize()), what);
        doc.undoStack()->redo();
        QVERIFY2(same_state(doc.state(), after), what);
        QVERIFY2(doc.image() == composite_layers(doc.imageLayers(), doc.canvasSize()), what);
    }
}

using dit::testing::error_text;

}  // namespace

class TestImageLayers : public QObject {
    Q_OBJECT

private slots:
    void blend_maths() {
        // By hand: src 200 onto dst 100.
        QCOMPARE(blend_channel(BlendMode::Normal, 200, 100), 200);
        QCOMPARE(blend_channel(BlendMode::Multiply, 200, 100), 78);          // 200*100/255 = 78.4
        QCOMPARE(blend_channel(BlendMode::Screen, 200, 100), 222);           // 255 - 55*155/255 = 221.6
        QCOMPARE(blend_channel(BlendMode::Multiply, 255, 37), 37);           // white multiplies to nothing
        QCOMPARE(blend_channel(BlendMode::Screen, 0, 37), 37);               // black screens to nothing
        QCOMPARE(composite_channel(BlendMode::Normal, 200, 100, 255), 200);  // opaque: exactly the layer
        QCOMPARE(composite_channel(BlendMode::Normal, 200, 100, 0), 100);
        QCOMPARE(composite_channel(BlendMode::Normal, 200, 100, 128), 150);  // (100*127 + 200*128)/255 = 150.2

        // A stack: red at half opacity over blue over white paper; multiply and screen layers.
        const QSize s(4, 2);
        std::vector<ImageLayer> layers{make_image_layer(1, "blue", solid(s, QColor(0, 0, 255)), s),
                                       make_image_layer(2, "red", solid(s, QColor(255, 0, 0)), s)};
        layers[1].opacity = 0.5;  // 128 of 255
        QCOMPARE(at(composite_layers(layers, s), 0, 0), QColor(128, 0, 127));
        layers[1].blend = BlendMode::Multiply;  // red * blue = black, half mixed in
        QCOMPARE(at(composite_layers(layers, s), 0, 0), QColor(0, 0, 127));
        layers[1].blend = BlendMode::Screen;  // red screen blue = magenta
        QCOMPARE(at(composite_layers(layers, s), 0, 0), QColor(128, 0, 255));
        // Alpha times opacity: a half-transparent pixel at half opacity mixes a quarter.
        layers[1].blend = BlendMode::Normal;
        layers[1].pixels.setPixelColor(1, 0, QColor(255, 0, 0, 128));
        QCOMPARE(at(composite_layers(layers, s), 1, 0), QColor(64, 0, 191));  // a = (128*128+127)/255 = 64
        // Hidden layers and no layers.
        layers[1].visible = false;
        QCOMPARE(at(composite_layers(layers, s), 0, 0), QColor(0, 0, 255));
        layers[0].pixels.fill(Qt::transparent);
        QCOMPARE(at(composite_layers(layers, s), 0, 0), QColor(255, 255, 255));  // white paper
        QVERIFY(composite_layers({}, s).isNull());
        // An opaque normal layer is reproduced bit for bit.
        const QImage n = noise_rgba(s, 3);
        QImage opaque = n;
        for (int y = 0; y < s.height(); ++y)
            for (int x = 0; x < s.width(); ++x) opaque.scanLine(y)[4 * x + 3] = 255;
        QCOMPARE(composite_layers({make_image_layer(1, "n", opaque, s)}, s), opaque.convertToFormat(QImage::Format_RGB888));
    }

    void a_picture_is_one_layer() {
        DocumentState s = DocumentState::blank({8, 6});
        s.image = solid({8, 6}, QColor(10, 20, 30)).convertToFormat(QImage::Format_RGB888);
        Document doc(s);
        QCOMPARE(int(doc.imageLayers().size()), 1);
        QCOMPARE(doc.imageLayers()[0].name, QString("Background"));
        QCOMPARE(doc.currentLayer(), doc.imageLayers()[0].id);
        QCOMPARE(doc.image(), s.image);
        check_undo_redo(doc, "set image", [&] { doc.setImage(solid({8, 6}, Qt::green)); });
        QCOMPARE(int(doc.imageLayers().size()), 1);
        QCOMPARE(at(doc.image(), 3, 3), QColor(Qt::green));
        QVERIFY(error_text([&] { doc.setImage(solid({9, 6}, Qt::green)); }).contains("9x6"));
    }

    void every_edit_undoes() {
        Document doc(QSize(16, 12));
        quint32 a = 0, b = 0, c = 0;
        check_undo_redo(doc, "add", [&] { a = doc.addImageLayer("a", noise_rgba({16, 12}, 1)); });
        QCOMPARE(doc.currentLayer(), a);
        check_undo_redo(doc, "add transparent", [&] { b = doc.addImageLayer("b"); });
        QCOMPARE(doc.imageLayerIndex(b), 1);
        check_undo_redo(doc, "duplicate", [&] { c = doc.duplicateImageLayer(a); });
        QCOMPARE(doc.imageLayerIndex(c), 1);  // just above its original
        QCOMPARE(doc.imageLayer(c)->name, QString("a copy"));
        QCOMPARE(doc.imageLayer(c)->pixels, doc.imageLayer(a)->pixels);
        check_undo_redo(doc, "rename", [&] { doc.renameImageLayer(b, "sky"); });
        check_undo_redo(doc, "hide", [&] { doc.setImageLayerVisible(a, false); });
        check_undo_redo(doc, "blend", [&] { doc.setImageLayerBlend(c, BlendMode::Screen); });
        check_undo_redo(doc, "move", [&] { doc.moveImageLayer(b, 0); });
        QCOMPARE(doc.imageLayers()[0].id, b);
        check_undo_redo(doc, "delete", [&] { doc.removeImageLayer(c); });
        QVERIFY(!doc.imageLayer(c));
        QCOMPARE(doc.currentLayer(), a);  // the layer below became current ([b, a, c] before)
        check_undo_redo(doc, "replace", [&] { doc.placeImage(solid({16, 12}, Qt::red), false, "r"); });
        check_undo_redo(doc, "place as a layer", [&] { doc.placeImage(solid({16, 12}, Qt::blue), true, "result 7"); });
        QCOMPARE(doc.imageLayers().back().name, QString("result 7"));

        // The selection is no edit; a slider drag of opacity is one step.
        const int count = doc.undoStack()->count();
        doc.setCurrentLayer(a);
        QCOMPARE(doc.undoStack()->count(), count);
        doc.sealMerging();
        for (double o : {0.9, 0.7, 0.4}) doc.setImageLayerOpacity(a, o);
        QCOMPARE(doc.undoStack()->count(), count + 1);
        QCOMPARE(doc.imageLayer(a)->opacity, 0.4);
        doc.undoStack()->undo();
        QCOMPARE(doc.imageLayer(a)->opacity, 1.0);
        QVERIFY(error_text([&] { doc.removeImageLayer(999); }).contains("image layer 999 does not exist"));
    }

    void reorder_and_opacity_change_the_composite() {
        const QSize s(6, 4);
        Document doc(s);
        const quint32 red = doc.addImageLayer("red", solid(s, Qt::red));
        const quint32 blue = doc.addImageLayer("blue", solid(s, Qt::blue));
        QCOMPARE(at(doc.image(), 0, 0), QColor(Qt::blue));
        doc.moveImageLayer(blue, 0);
        QCOMPARE(at(doc.image(), 0, 0), QColor(Qt::red));
        doc.setImageLayerOpacity(red, 0.5);
        QCOMPARE(at(doc.image(), 0, 0), QColor(128, 0, 127));
        // Generation reads the composite.
        GenerationSettings g = doc.settings();
        g.mode = GenerationMode::Img2Img;
        doc.setSettings(g, "mode");
        const dit::Request r = doc.toRequest(1);
        QCOMPARE(int(r.init_image->rgb[0]), 128);
        QCOMPARE(int(r.init_image->rgb[2]), 127);
    }

    void painting_an_image_layer_is_one_undo_step() {
        const QSize s(10, 10);
        Document doc(s);
        const quint32 id = doc.addImageLayer("paint");
        const DocumentState before = doc.state();
        QImage& px = doc.beginStroke({Document::PaintTarget::Image, 0, id});
        px.setPixelColor(2, 3, QColor(0, 255, 0));
        doc.strokeUpdated(QRect(2, 3, 1, 1));
        QCOMPARE(at(doc.image(), 2, 3), QColor(0, 255, 0));
        doc.endStroke(QRect(2, 3, 1, 1), "Paint");
        doc.undoStack()->undo();
        QVERIFY(same_state(doc.state(), before));
        QCOMPARE(at(doc.image(), 2, 3), QColor(Qt::white));
        doc.undoStack()->redo();
        QCOMPARE(at(doc.image(), 2, 3), QColor(0, 255, 0));
    }

    void save_load_is_bit_exact() {
        QTemporaryDir tmp;
        const QSize s(24, 16);
        Document doc(s);
        doc.addImageLayer("bottom", noise_rgba(s, 5));  // random alpha, colour under alpha 0 too
        const quint32 mid = doc.addImageLayer("mid ünï", noise_rgba(s, 6));
        doc.setImageLayerBlend(mid, BlendMode::Multiply);
        doc.setImageLayerOpacity(mid, 0.37);
        const quint32 top = doc.addImageLayer("top", noise_rgba(s, 7));
        doc.setImageLayerBlend(top, BlendMode::Screen);
        doc.setImageLayerVisible(top, false);
        doc.setCurrentLayer(mid);
        save_project(doc.state(), tmp.filePath("p"));
        const DocumentState back = load_project(tmp.filePath("p"));
        QVERIFY(same_state(back, doc.state()));
        QCOMPARE(back.current_layer, mid);
        QCOMPARE(back.image, doc.image());
        QCOMPARE(back.layers[1].pixels.format(), QImage::Format_RGBA8888);
    }

    void version_3_opens_as_one_layer() {
        QTemporaryDir tmp;
        const QString folder = tmp.filePath("v3");
        QDir().mkpath(folder);
        QImage image(24, 16, QImage::Format_RGB888);
        QRandomGenerator rng(11);
        for (int y = 0; y < 16; ++y)
            for (int x = 0; x < 72; ++x) image.scanLine(y)[x] = uint8_t(rng.bounded(256));
        QImage gray(24, 16, QImage::Format_Grayscale8);
        gray.fill(0);
        QVERIFY(image.save(folder + "/image.png"));
        QVERIFY(gray.save(folder + "/mask.png"));
        QVERIFY(gray.save(folder + "/edges.png"));
        QFile f(folder + "/project.json");
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(R"({"format": "dit-studio-project", "version": 3, "canvas": {"width": 24, "height": 16},
 "layers": {"image": "image.png", "mask": "mask.png", "edges": "edges.png", "pose": null, "pose_background": null},
 "pose_background_opacity": 0.5, "regions": [], "prompt": "p", "negative_prompt": "", "settings": {}, "results": []})");
        f.close();
        const DocumentState s = load_project(folder);
        QCOMPARE(int(s.layers.size()), 1);
        QCOMPARE(s.layers[0].name, QString("Background"));
        QCOMPARE(s.current_layer, s.layers[0].id);
        QCOMPARE(s.image, image);
    }

    void broken_layers_are_named() {
        QTemporaryDir tmp;
        const QSize s(8, 8);
        Document doc(s);
        doc.addImageLayer("a", noise_rgba(s, 1));
        const QString folder = tmp.filePath("p");
        save_project(doc.state(), folder);
        QFile f(folder + "/project.json");
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonObject good = QJsonDocument::fromJson(f.readAll()).object();
        f.close();
        const auto with = [&](const std::function<void(QJsonObject&)>& edit) {
            QJsonObject j = good;
            edit(j);
            QFile w(folder + "/project.json");
            if (!w.open(QIODevice::WriteOnly)) return QString("cannot write");
            w.write(QJsonDocument(j).toJson());
            w.close();
            return error_text([&] { load_project(folder); });
        };
        const auto layer_field = [&](const char* key, QJsonValue v) {
            return with([&](QJsonObject& j) {
                QJsonArray a = j["image_layers"].toArray();
                QJsonObject l = a[0].toObject();
                l[key] = v;
                a[0] = l;
                j["image_layers"] = a;
            });
        };
        QVERIFY(layer_field("blend", "overlay").contains("field 'image_layers[0].blend': 'overlay' is not a blend mode"));
        QVERIFY(layer_field("opacity", 2).contains("field 'image_layers[0].opacity'"));
        QVERIFY(layer_field("visible", "yes").contains("field 'image_layers[0].visible'"));
        QVERIFY(layer_field("file", "../x.png").contains("field 'image_layers[0].file'"));
        QVERIFY(layer_field("file", "missing.png").contains("missing.png: cannot read"));
        QVERIFY(with([](QJsonObject& j) { j["current_layer"] = 5; }).contains("field 'current_layer'"));
        QVERIFY(with([](QJsonObject& j) { j.remove("image_layers"); }).contains("field 'image_layers': missing"));
    }

    void extending_the_canvas_keeps_every_layer_s_pixels() {
        const QSize s(32, 16);
        DocumentState st = DocumentState::blank(s);
        Document doc(st);
        doc.addImageLayer("bottom", solid(s, QColor(0, 128, 0)));
        const quint32 top = doc.addImageLayer("top", noise_rgba(s, 4));
        doc.setImageLayerBlend(top, BlendMode::Multiply);
        doc.setImageLayerOpacity(top, 0.6);
        const DocumentState out = extend_canvas(doc.state(), dit::Outpaint{16, 0, 0, 16});
        QCOMPARE(out.canvas, QSize(48, 32));
        QCOMPARE(out.image.copy(QRect(16, 0, 32, 16)), doc.image());
        for (size_t i = 0; i < out.layers.size(); ++i)
            QCOMPARE(out.layers[i].pixels.copy(QRect(16, 0, 32, 16)), doc.imageLayers()[i].pixels);
        QCOMPARE(out.image, composite_layers(out.layers, out.canvas));
        // The new area continues the edge pixels, alpha included.
        QCOMPARE(out.layers[1].pixels.pixelColor(0, 5), doc.imageLayers()[1].pixels.pixelColor(0, 5));
        QCOMPARE(out.layers[1].pixels.pixelColor(20, 31), doc.imageLayers()[1].pixels.pixelColor(4, 15));
    }
};

QTEST_MAIN(TestImageLayers)
#include "test_image_layers.moc"
