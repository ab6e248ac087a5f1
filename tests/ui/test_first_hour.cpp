// The studio's first hour (issue: a newcomer finds every control, keeps every result, and never
// paints the wrong layer), item by item, on the real window with the real engine.
#include <QAbstractSpinBox>
#include <QAction>
#include <QCheckBox>
#include <QClipboard>
#include <QJsonDocument>
#include <QJsonObject>
#include <QComboBox>
#include <QDirIterator>
#include <QDockWidget>
#include <QDoubleSpinBox>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMessageBox>
#include <QMimeData>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSlider>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTabBar>
#include <QToolButton>
#include <QtTest>

#include "studio/gallery/gallery_store.h"
#include "studio/model/model_defaults.h"
#include "studio/project/project_file.h"
#include "studio/project/recovery.h"
#include "tests/common/test_window.h"
#include "ui/brush_options.h"
#include "ui/canvas_view.h"
#include "ui/gallery_panel.h"
#include "ui/generation_panel.h"
#include "ui/main_window.h"
#include "ui/overlay_colours.h"
#include "ui/pose_panel.h"
#include "ui/prompt_panel.h"
#include "ui/region_editor.h"
#include "ui/tool_bar.h"

using dit::studio::Document;
using dit::studio::GalleryItem;
using dit::ui::CanvasTool;
using dit::ui::MainWindow;

namespace {

// Generates once with the tiny model (3 steps) and waits for the result.
void generate_once(MainWindow& w, const QString& prompt, quint64 seed) {
    w.promptPanel()->promptEdit()->setPlainText(prompt);
    auto s = w.document()->settings();
    s.steps = 3;
    s.seed = seed;
    s.random_seed = false;
    w.document()->setSettings(s, QStringLiteral("test"));
    w.document()->sealMerging();
    QSignalSpy ended(&w, &MainWindow::generationEnded);
    w.generate();
    QVERIFY(ended.wait(120000));
}

GalleryItem solid_result(QColor c, quint64 seed) {
    GalleryItem it;
    it.image = QImage(96, 64, QImage::Format_RGB888);
    it.image.fill(c);
    it.request.prompt = "solid " + c.name().toStdString();
    it.request.width = 96;
    it.request.height = 64;
    it.request.seed = seed;
    it.seconds = 1.5;
    it.created = QDateTime::currentDateTime();
    return it;
}

}  // namespace

class TestFirstHour : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        QSettings::setDefaultFormat(QSettings::IniFormat);
        QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, settings_.path());
    }

    // Item 2: results are kept: in the gallery folder at once, in the project on save, in the
    // autosave a crash leaves; the document counts them as unsaved until it is saved.
    void resultsSurviveSaveReopenAndCrash() {
        auto w = dit::testing::make_test_window();
        generate_once(*w, QStringLiteral("a red ball"), 5);
        Document* doc = w->document();
        QCOMPARE(int(doc->results().size()), 1);
        QVERIFY(doc->isModified());
        QCOMPARE(doc->unsavedResults(), 1);
        QVERIFY(QFile::exists(doc->results()[0].file));  // in the gallery folder already
        QCOMPARE(w->galleryPanel()->count(), 1);
        doc->addResult(solid_result(Qt::green, 7));
        doc->addResult(solid_result(Qt::blue, 8));
        // Quitting with results no project holds asks first, and says so; Cancel keeps the window.
        QString asked;
        QTimer::singleShot(200, [&] {
            for (QWidget* top : QApplication::topLevelWidgets())
                if (auto* box = qobject_cast<QMessageBox*>(top); box && box->isVisible()) {
                    asked = box->text();
                    box->button(QMessageBox::Cancel)->click();
                }
        });
        QVERIFY(!w->close());
        QVERIFY2(asked.contains(QStringLiteral("3 result(s) are not in a saved project")), qPrintable(asked));
        QVERIFY(w->isVisible());
        QTemporaryDir tmp;
        const QString project = tmp.filePath(QStringLiteral("three"));
        QVERIFY(w->saveProject(project));
        QVERIFY(!w->document()->isModified());
        QCOMPARE(w->document()->unsavedResults(), 0);
        QVERIFY(w->windowTitle().startsWith(QStringLiteral("three —")));

        auto w2 = dit::testing::make_test_window();
        QVERIFY(w2->openProject(project));
        QCOMPARE(int(w2->document()->results().size()), 3);
        QCOMPARE(w2->galleryPanel()->count(), 3);
        QCOMPARE(w2->document()->results()[0].image, doc->results()[0].image);
        QCOMPARE(w2->document()->results()[0].request.prompt, std::string("a red ball"));
        QCOMPARE(w2->document()->results()[2].request.seed, quint64(8));
        QCOMPARE(w2->document()->results()[1].seconds, 1.5);
        QVERIFY(!w2->document()->isModified());
        // Applying a reopened result puts its pixels on the canvas.
        w2->applyResult(2);
        QCOMPARE(w2->document()->image().pixelColor(5, 5), QColor(Qt::blue));

        // A crash: the autosave holds the results, and recovery brings them back.
        QTemporaryDir rec;
        dit::studio::RecoveryStore crashed(rec.path());
        crashed.save(w2->document()->state(), project);
        QFile lock(crashed.sessionFolder() + "/lock");
        QVERIFY(lock.open(QIODevice::WriteOnly | QIODevice::Truncate));
        lock.write("999999999");  // a PID that runs no more
        lock.close();
        const auto pending = dit::studio::RecoveryStore(rec.path()).pending();
        QCOMPARE(int(pending.size()), 1);
        QCOMPARE(int(dit::studio::RecoveryStore(rec.path()).restore(pending.front()).results.size()), 3);

        // A v2 project (no results) still opens.
        QJsonObject v2 = QJsonDocument::fromJson([&] {
                             QFile f(project + "/project.json");
                             f.open(QIODevice::ReadOnly);
                             return f.readAll();
                         }()).object();
        v2["version"] = 2;
        v2.remove("results");
        QFile f(project + "/project.json");
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write(QJsonDocument(v2).toJson());
        f.close();
        QCOMPARE(int(dit::studio::load_project(project).results.size()), 0);
    }

    // Item 2: a broken result file leaves that result out, by name, and the project opens.
    void brokenResultFileIsNamedNotFatal() {
        QTemporaryDir tmp;
        dit::studio::DocumentState s = dit::studio::DocumentState::blank(QSize(96, 64));
        s.results.push_back(solid_result(Qt::red, 1));
        s.results.push_back(solid_result(Qt::green, 2));
        const QString project = tmp.filePath(QStringLiteral("p"));
        dit::studio::save_project(s, project);
        QFile f(project + "/results/0001.png");
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write("not a png");
        f.close();
        QStringList warnings;
        const auto loaded = dit::studio::load_project(project, &warnings);
        QCOMPARE(int(loaded.results.size()), 1);
        QCOMPARE(warnings.size(), 1);
        QVERIFY2(warnings.front().contains(QStringLiteral("0001.png")), qPrintable(warnings.front()));
    }

    // Item 2 and "also expected": the per-user gallery is browsable after a restart, deletable,
    // and a thumbnail dragged onto the canvas opens as the image.
    void galleryBrowseDragAndDelete() {
        auto w = dit::testing::make_test_window();
        QTemporaryDir gdir;
        dit::studio::GalleryStore store(gdir.path());
        const QString a = store.add(solid_result(Qt::red, 11));
        const QString b = store.add(solid_result(Qt::yellow, 12));
        dit::ui::GalleryPanel panel;
        panel.setConfirmDeletes(false);
        panel.setStore(&store);
        panel.setScope(dit::ui::GalleryPanel::Scope::All);
        QCOMPARE(panel.count(), 2);
        QCOMPARE(panel.item(0).file, b);  // newest first
        QVERIFY(panel.item(0).image.isNull());  // listed by thumbnail only
        QCOMPARE(panel.fullItem(0).image.pixelColor(1, 1), QColor(Qt::yellow));

        // Drag: the list's drag data carries the file; dropped on the canvas it opens.
        panel.setCurrentIndex(0);
        QListWidget* list = panel.list();
        std::unique_ptr<QMimeData> mime(list->model()->mimeData({list->model()->index(0, 0)}));
        QVERIFY(mime && mime->hasUrls());
        QDragEnterEvent enter(QPoint(10, 10), Qt::CopyAction, mime.get(), Qt::LeftButton, Qt::NoModifier);
        QCoreApplication::sendEvent(w->canvas(), &enter);
        QVERIFY(enter.isAccepted());
        QDropEvent drop(QPointF(10, 10), Qt::CopyAction, mime.get(), Qt::LeftButton, Qt::NoModifier);
        QCoreApplication::sendEvent(w->canvas(), &drop);
        QCOMPARE(w->document()->image().pixelColor(3, 3), QColor(Qt::yellow));
        QVERIFY(w->restoreOfferButton()->isVisible());  // a result: its parameters are offered

        // Use as init: the picture, and the mode img2img.
        QSignalSpy init(&panel, &dit::ui::GalleryPanel::initRequested);
        panel.initButton()->click();
        QCOMPARE(init.count(), 1);

        panel.deleteButton()->click();
        QCOMPARE(panel.count(), 1);
        QVERIFY(!QFile::exists(b));
        QVERIFY(QFile::exists(a));
        QVERIFY(dit::studio::GalleryStore(gdir.path()).list().size() == 1);
        // A file outside the gallery is never removed through it.
        QVERIFY_THROWS_EXCEPTION(std::exception, store.remove(QDir::temp().filePath(QStringLiteral("x.png"))));
    }

    // Item 3: the defaults come from the model (its configs and studio.json), the first start
    // has an example prompt, and a broken studio.json is named while the rest still applies.
    void defaultsComeFromTheModel() {
        const QString model = QStringLiteral(DIT_SOURCE_DIR "/resources/models/default");
        const auto d = dit::studio::model_defaults(model);
        QVERIFY2(d.problem.isEmpty(), qPrintable(d.problem));
        QCOMPARE(d.width, 128);
        QCOMPARE(d.height, 128);
        QVERIFY(!d.example_prompt.isEmpty());
        MainWindow::Options o;
        o.model_dir = model;
        o.autosave = false;
        o.remember_layout = false;
        MainWindow w(o);
        QCOMPARE(w.document()->canvasSize(), QSize(128, 128));
        QCOMPARE(w.document()->settings().width, 128);
        QCOMPARE(w.generationPanel()->widthSpin()->value(), 128);
        QCOMPARE(w.document()->prompt(), d.example_prompt);
        QVERIFY(!w.document()->isModified());
        QVERIFY(w.document()->toRequest().prompt == d.example_prompt.toStdString());

        // The tiny fixture has no studio.json: its transformer's sample size (8) x the VAE's 8.
        const auto tiny = dit::studio::model_defaults(QStringLiteral(DIT_FIXTURES "/tiny-pixart-alpha"));
        QCOMPARE(tiny.width, 64);
        QCOMPARE(tiny.sampler, QStringLiteral("dpm++2m"));

        // A model folder with a broken studio.json: named, and the configs still apply.
        QTemporaryDir tmp;
        for (const QString& f : {QStringLiteral("model_index.json"), QStringLiteral("transformer/config.json"),
                                 QStringLiteral("vae/config.json"), QStringLiteral("scheduler/scheduler_config.json")}) {
            QDir().mkpath(QFileInfo(tmp.filePath(f)).path());
            QVERIFY(QFile::copy(model + "/" + f, tmp.filePath(f)));
        }
        auto write = [&](const QByteArray& json) {
            QFile f(tmp.filePath(QStringLiteral("studio.json")));
            QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
            f.write(json);
        };
        write(R"({"width": 100})");
        auto bad = dit::studio::model_defaults(tmp.path());
        QVERIFY2(bad.problem.contains(QStringLiteral("studio.json")) && bad.problem.contains(QStringLiteral("'width'")),
                 qPrintable(bad.problem));
        QCOMPARE(bad.width, 128);  // from the transformer's config: 16 x 8
        write(R"({"steps": "many"})");
        QVERIFY(dit::studio::model_defaults(tmp.path()).problem.contains(QStringLiteral("'steps'")));
        write(R"({"colour": 1})");
        QVERIFY(dit::studio::model_defaults(tmp.path()).problem.contains(QStringLiteral("'colour'")));
        write("{not json");
        QVERIFY(dit::studio::model_defaults(tmp.path()).problem.contains(QStringLiteral("invalid JSON")));
        write(R"({"steps": 8, "sampler": "lcm", "cfg": 1.0, "example_prompt": "a cat"})");
        const auto good = dit::studio::model_defaults(tmp.path());
        QVERIFY(good.problem.isEmpty());
        QCOMPARE(good.steps, 8);
        QCOMPARE(good.sampler, QStringLiteral("lcm"));
        QCOMPARE(good.example_prompt, QStringLiteral("a cat"));
        // An LCM scheduler alone means 4 steps without guidance.
        QFile::remove(tmp.filePath(QStringLiteral("studio.json")));
        QFile sc(tmp.filePath(QStringLiteral("scheduler/scheduler_config.json")));
        QVERIFY(sc.open(QIODevice::WriteOnly | QIODevice::Truncate));
        sc.write(R"({"_class_name": "LCMScheduler"})");
        sc.close();
        const auto lcm = dit::studio::model_defaults(tmp.path());
        QCOMPARE(lcm.sampler, QStringLiteral("lcm"));
        QCOMPARE(lcm.steps, 4);
        QCOMPARE(lcm.cfg, 1.0);
        // Choosing that model in the panel takes its settings in one undo step.
        auto w2 = dit::testing::make_test_window();
        const int count = w2->document()->undoStack()->count();
        w2->generationPanel()->modelEdit()->setText(tmp.path());
        emit w2->generationPanel()->modelEdit()->editingFinished();
        QCOMPARE(w2->document()->settings().sampler, QStringLiteral("lcm"));
        QCOMPARE(w2->document()->settings().steps, 4);
        QCOMPARE(w2->document()->undoStack()->count(), count + 1);
    }

    // Item 4: Generate, Cancel and progress are always in view; the canvas keeps its share at
    // the smallest size; the layout is remembered.
    void mainControlsStayInView() {
        for (const QSize size : {QSize(1600, 1000), QSize(1366, 768), QSize(800, 500)}) {
            auto w = dit::testing::make_test_window();
            w->resize(size);
            w->resetLayout();
            QVERIFY(QTest::qWaitForWindowExposed(w.get()));
            QCoreApplication::processEvents();
            auto in_view = [&](QWidget* x) {
                const QRect r(x->mapTo(w.get(), QPoint(0, 0)), x->size());
                return x->isVisible() && w->rect().contains(r);
            };
            QVERIFY2(in_view(w->generateButton()), qPrintable(QString("Generate hidden at %1x%2").arg(size.width()).arg(size.height())));
            QVERIFY(in_view(w->cancelButton()));
            QVERIFY(in_view(w->liveBox()));
            QVERIFY2(w->canvas()->width() >= 240 && w->canvas()->height() >= 180,
                     qPrintable(QString("canvas %1x%2 at %3x%4").arg(w->canvas()->width()).arg(w->canvas()->height())
                                    .arg(size.width()).arg(size.height())));
            // The gallery shows whole thumbnails.
            QVERIFY(w->galleryPanel()->list()->height() >= 96);
        }
        // The window's own minimum keeps them too.
        auto w = dit::testing::make_test_window();
        w->resize(w->minimumSizeHint());
        QCoreApplication::processEvents();
        QVERIFY(w->canvas()->width() >= 240 && w->generateButton()->isVisible());

        // Remembered: a closed dock stays closed at the next start.
        MainWindow::Options o;
        o.model_dir = QStringLiteral(DIT_FIXTURES "/tiny-pixart-alpha");
        o.autosave = false;
        {
            MainWindow a(o);
            a.show();
            QVERIFY(QTest::qWaitForWindowExposed(&a));
            a.findChild<QDockWidget*>(QStringLiteral("LayersDock"))->hide();
            a.close();
        }
        MainWindow b(o);
        b.show();
        QVERIFY(QTest::qWaitForWindowExposed(&b));
        QCoreApplication::processEvents();
        QVERIFY(!b.findChild<QDockWidget*>(QStringLiteral("LayersDock"))->isVisible());
        QVERIFY(b.findChild<QDockWidget*>(QStringLiteral("PromptDock"))->isVisible());
        QSettings().clear();
    }

    // Item 5: in inpaint mode the strength control is editable, named Denoise, defaults to 1,
    // and what it shows is what runs and what the gallery says.
    void inpaintDenoiseIsTheStrengthUsed() {
        auto w = dit::testing::make_test_window();
        auto* g = w->generationPanel();
        QVERIFY(!g->strengthSpin()->isEnabled());  // txt2img: nothing to keep
        g->modeCombo()->setCurrentIndex(int(dit::studio::GenerationMode::Inpaint));
        QVERIFY(g->strengthSpin()->isEnabled());
        QCOMPARE(g->strengthLabel()->text(), QStringLiteral("Denoise"));
        QCOMPARE(g->strengthSpin()->value(), 1.0);
        QImage img(96, 64, QImage::Format_RGB888);
        img.fill(Qt::gray);
        QVERIFY(w->openImage(img, QStringLiteral("grey")));
        w->document()->fillMask();
        QCOMPARE(w->document()->toRequest().strength, 1.0f);
        w->generationPanel()->strengthSpin()->setValue(0.6);
        QCOMPARE(w->document()->settings().denoise, 0.6);
        QCOMPARE(w->document()->settings().strength, 0.8);  // img2img's own stays
        const dit::Request r = w->document()->toRequest();
        QCOMPARE(r.strength, 0.6f);
        QVERIFY(dit::ui::describe_request(r).contains(QStringLiteral("inpaint full, denoise 0.6")));
        QVERIFY(!dit::ui::describe_request(r).contains(QStringLiteral("img2img")));
        g->modeCombo()->setCurrentIndex(int(dit::studio::GenerationMode::Img2Img));
        QCOMPARE(g->strengthLabel()->text(), QStringLiteral("Strength"));
        QCOMPARE(g->strengthSpin()->value(), 0.8);
    }

    // Item 6: the mask is hatched in its own colour and no region ever takes a colour close
    // to it, whether picked by the palette, by the user, or the mask recoloured.
    void regionColoursNeverCollideWithTheMask() {
        auto w = dit::testing::make_test_window();
        const QColor mask = w->canvas()->maskTint();
        QCOMPARE(mask, dit::ui::default_mask_colour());
        auto* ed = w->promptPanel()->regionEditor();
        for (int i = 0; i < 12; ++i) ed->addButton()->click();
        for (const auto& r : w->document()->regions()) {
            QVERIFY2(r.colour != mask && !dit::ui::colours_collide(r.colour, mask), qPrintable(r.colour.name()));
        }
        QVERIFY(!ed->setSelectedColour(mask));
        QVERIFY(!ed->setSelectedColour(QColor(20, 200, 240)));  // near cyan
        QVERIFY(w->statusLabel()->text().contains(QStringLiteral("too close")));
        // Another mask colour: the palette moves away from it.
        w->canvas()->setMaskTint(QColor(255, 60, 60));
        QVERIFY(!dit::ui::colours_collide(ed->nextColour(), QColor(255, 60, 60)));
        // The painted mask shows hatched: two neighbouring pixels of a full mask differ.
        w->canvas()->setMaskTint(mask);
        w->document()->fillMask();
        const QImage view = w->canvas()->grab().toImage();
        const QPointF c = w->canvas()->canvasToWidget({48, 32});
        QSet<QRgb> seen;
        for (int dx = 0; dx < 8 * int(w->canvas()->zoom()); ++dx) seen.insert(view.pixel(int(c.x()) + dx, int(c.y())));
        QVERIFY2(seen.size() >= 2, "the mask overlay is hatched");
    }

    // Item 7: one tool bar, the active tool unmistakable, each brush its own size and eraser,
    // the eraser state shown wherever it applies; the region brush never silently hands the
    // next stroke to the mask.
    void activeToolAndEraserAreUnmistakable() {
        auto w = dit::testing::make_test_window();
        QApplication::setActiveWindow(w.get());
        QVERIFY(QTest::qWaitForWindowActive(w.get()));
        auto* canvas = w->canvas();
        auto* bar = w->toolBar();
        QCOMPARE(canvas->tool(), CanvasTool::Mask);
        QVERIFY(bar->toolAction(CanvasTool::Mask)->isChecked());
        // Each brush keeps its own size: hand-drawn edges are lines, not 32 px bands.
        QCOMPARE(canvas->brush(CanvasTool::Mask).size(), 32.0);
        QCOMPARE(canvas->brush(CanvasTool::Edges).size(), 3.0);
        bar->toolAction(CanvasTool::Edges)->trigger();
        QCOMPARE(canvas->tool(), CanvasTool::Edges);
        QCOMPARE(w->brushOptions()->sizeSpin()->value(), 3);
        QVERIFY(w->toolLabel()->text().contains(QStringLiteral("Edge brush")));
        int checked = 0;
        for (CanvasTool t : {CanvasTool::Mask, CanvasTool::Edges, CanvasTool::Region, CanvasTool::Pose})
            checked += bar->toolAction(t)->isChecked();
        QCOMPARE(checked, 1);
        // The eraser, turned on for the mask brush, does not follow onto the edge brush.
        bar->toolAction(CanvasTool::Mask)->trigger();
        QTest::keyClick(w.get(), Qt::Key_E);
        QVERIFY(canvas->brush().eraser());
        QVERIFY(bar->eraserAction()->isChecked());
        QVERIFY(w->brushOptions()->eraserButton()->isChecked());
        QVERIFY(w->toolLabel()->text().contains(QStringLiteral("Mask eraser")));
        QTest::keyClick(w.get(), Qt::Key_D);
        QCOMPARE(canvas->tool(), CanvasTool::Edges);
        QVERIFY(!canvas->brush().eraser());
        QVERIFY(!bar->eraserAction()->isChecked());
        QVERIFY(!w->brushOptions()->eraserButton()->isChecked());
        QTest::keyClick(w.get(), Qt::Key_E);  // the edge eraser, shown as such
        QVERIFY(w->toolLabel()->text().contains(QStringLiteral("Edge eraser")));
        QVERIFY(bar->eraserAction()->isChecked());
        QTest::keyClick(w.get(), Qt::Key_M);
        QVERIFY(canvas->brush().eraser());  // the mask brush kept its eraser

        // R with no region adds one and paints it; a second click on Paint keeps painting it.
        QTest::keyClick(w.get(), Qt::Key_R);
        QCOMPARE(canvas->tool(), CanvasTool::Region);
        QCOMPARE(int(w->document()->regions().size()), 1);
        auto* ed = w->promptPanel()->regionEditor();
        QVERIFY(ed->paintButton()->isChecked());
        ed->paintButton()->click();
        QCOMPARE(canvas->tool(), CanvasTool::Region);
        QVERIFY(ed->paintButton()->isChecked());
        // Adding a second region keeps the region brush on, on the new region.
        ed->addButton()->click();
        QCOMPARE(canvas->tool(), CanvasTool::Region);
        QCOMPARE(canvas->activeRegion(), w->document()->regions().back().id);
        // The pose tool: no brush, no eraser.
        QTest::keyClick(w.get(), Qt::Key_P);
        QVERIFY(!bar->eraserAction()->isEnabled());
        QVERIFY(!w->brushOptions()->isVisible());
    }

    // Outpainting in the studio: the canvas grows, the picture moves with every layer, the new
    // area is masked, and a generation keeps the old pixels exactly.
    void extendCanvasOutpaints() {
        auto w = dit::testing::make_test_window();
        QImage img(96, 64, QImage::Format_RGB888);
        for (int y = 0; y < 64; ++y)
            for (int x = 0; x < 96; ++x) img.setPixelColor(x, y, QColor(x * 2, y * 3, 90));
        QVERIFY(w->openImage(img, QStringLiteral("gradient")));
        w->document()->addPerson(dit::ui::standing_person(QSize(96, 64)));
        const float neck_x = w->document()->people()[0].body[1].x;
        QVERIFY(!w->extendCanvas({}));
        QVERIFY(w->extendCanvas({16, 0, 0, 8}));  // bottom rounds up to 16
        Document* doc = w->document();
        QCOMPARE(doc->canvasSize(), QSize(112, 80));
        QCOMPARE(doc->image().copy(16, 0, 96, 64), img);
        QCOMPARE(doc->people()[0].body[1].x, neck_x + 16);
        QCOMPARE(int(doc->mask().pixelColor(2, 2).red()), 255);
        QCOMPARE(int(doc->mask().pixelColor(50, 30).red()), 0);
        QCOMPARE(doc->settings().mode, dit::studio::GenerationMode::Inpaint);
        QCOMPARE(doc->settings().width, 112);
        QVERIFY(doc->isModified());
        doc->removePerson(0);
        auto s = doc->settings();
        s.steps = 2;
        s.random_seed = false;
        doc->setSettings(s, QStringLiteral("steps"));
        QSignalSpy ended(w.get(), &MainWindow::generationEnded);
        w->generate();
        QVERIFY(ended.wait(120000));
        QCOMPARE(w->document()->image().copy(16, 0, 96, 64), img);
    }

    // Upscale and refine from the studio: a worker job whose result lands on the canvas and in the
    // gallery, at the enlarged size, saying what it was.
    void upscaleFromTheStudio() {
        auto w = dit::testing::make_test_window();
        QVERIFY(!w->upscale(2.0, 0.5f));  // no image yet: refused with a message
        QVERIFY(w->statusLabel()->text().contains(QStringLiteral("no image")));
        QImage img(64, 48, QImage::Format_RGB888);
        img.fill(QColor(200, 180, 40));
        QVERIFY(w->openImage(img, QStringLiteral("small")));
        auto s = w->document()->settings();
        s.steps = 2;
        w->document()->setSettings(s, QStringLiteral("steps"));
        QSignalSpy ended(w.get(), &MainWindow::generationEnded);
        QSignalSpy progress(w->worker(), &dit::studio::GenerationWorker::progress);
        QVERIFY(w->upscale(2.0, 0.5f, 64, 8) != 0);
        QVERIFY(ended.wait(120000));
        QCOMPARE(w->document()->canvasSize(), QSize(128, 96));
        QCOMPARE(w->document()->results().back().image.size(), QSize(128, 96));
        QVERIFY(w->document()->results().back().notice.contains(QStringLiteral("upscaled from 64×48")));
        // Progress ran over every tile: 3 x 2 tiles of 64 with the overlap.
        QVERIFY(progress.count() >= 2);
        QCOMPARE(progress.last().at(2).toInt() % 6, 0);  // the steps: tiles x steps per tile
        QVERIFY(!w->upscale(200.0, 0.5f));  // 12800 px: refused before any work
    }

    // Item 10: File › New, Export, Help; live mode keeps a random seed fixed.
    void basicsAndLiveSeed() {
        auto w = dit::testing::make_test_window();
        for (const char* name : {"new", "export", "gettingStarted", "shortcuts", "about", "pasteImage", "copyImage"})
            QVERIFY2(w->action(QString::fromLatin1(name)), name);
        QCOMPARE(w->action(QStringLiteral("new"))->shortcut(), QKeySequence(QKeySequence::New));
        QImage img(96, 64, QImage::Format_RGB888);
        img.fill(QColor(200, 30, 30));
        QVERIFY(w->openImage(img, QStringLiteral("red")));
        QTemporaryDir tmp;
        QVERIFY(w->exportImage(tmp.filePath(QStringLiteral("out.jpg"))));
        QVERIFY(!QImage(tmp.filePath(QStringLiteral("out.jpg"))).isNull());
        w->document()->undoStack()->setClean();
        w->promptPanel()->promptEdit()->setPlainText(QStringLiteral("kept prompt"));
        w->document()->markSaved();
        QVERIFY(w->newDocument(false));
        QVERIFY(w->document()->image().isNull());
        QCOMPARE(w->document()->canvasSize(), QSize(64, 64));  // the tiny model's own size
        QCOMPARE(w->document()->prompt(), QStringLiteral("kept prompt"));

        // Live with a random seed: every live run uses the same seed.
        auto s = w->document()->settings();
        s.steps = 2;
        s.random_seed = true;
        w->document()->setSettings(s, QStringLiteral("test"));
        QSignalSpy finished(w->worker(), &dit::studio::GenerationWorker::finished);
        w->liveBox()->setChecked(true);
        QTRY_VERIFY_WITH_TIMEOUT(finished.count() >= 1 && !w->isGenerating(), 60000);
        w->promptPanel()->promptEdit()->setPlainText(QStringLiteral("kept prompt, edited"));
        QTRY_VERIFY_WITH_TIMEOUT(finished.count() >= 2 && !w->isGenerating(), 60000);
        w->liveBox()->setChecked(false);
        const auto first = finished.first().at(0).value<dit::studio::GenerationResult>();
        const auto last = finished.last().at(0).value<dit::studio::GenerationResult>();
        QCOMPARE(last.request.prompt, std::string("kept prompt, edited"));
        QCOMPARE(first.request.seed, last.request.seed);

        // Paste: a picture from the clipboard becomes the image.
        QImage green(96, 64, QImage::Format_RGB888);
        green.fill(Qt::green);
        QGuiApplication::clipboard()->setImage(green);
        w->action(QStringLiteral("pasteImage"))->trigger();
        QCOMPARE(w->document()->image().pixelColor(2, 2), QColor(Qt::green));
    }

    // Also expected: every control says what it does (and its key, where it has one).
    void everyControlHasATooltip() {
        auto w = dit::testing::make_test_window();
        QStringList missing;
        const auto widgets = w->findChildren<QWidget*>();
        for (QWidget* x : widgets) {
            const bool control = qobject_cast<QAbstractButton*>(x) || qobject_cast<QComboBox*>(x) ||
                                 qobject_cast<QAbstractSpinBox*>(x) || qobject_cast<QSlider*>(x) ||
                                 qobject_cast<QLineEdit*>(x) || qobject_cast<QPlainTextEdit*>(x);
            if (!control || x->objectName().startsWith(QLatin1String("qt_"))) continue;
            // Qt's own parts: a spin box's line edit, a combo box's, the dock title buttons.
            if (qobject_cast<QAbstractSpinBox*>(x->parentWidget()) || qobject_cast<QComboBox*>(x->parentWidget())) continue;
            if (qobject_cast<QDockWidget*>(x->parentWidget()) || qobject_cast<QTabBar*>(x->parentWidget())) continue;
            if (QString::fromLatin1(x->metaObject()->className()) == QLatin1String("QTableCornerButton")) continue;
            if (auto* tb = qobject_cast<QToolButton*>(x); tb && tb->defaultAction() && !tb->defaultAction()->toolTip().isEmpty()) continue;
            if (x->toolTip().trimmed().isEmpty())
                missing << QStringLiteral("%1 '%2' in %3")
                               .arg(QString::fromLatin1(x->metaObject()->className()),
                                    qobject_cast<QAbstractButton*>(x) ? qobject_cast<QAbstractButton*>(x)->text() : x->objectName(),
                                    QString::fromLatin1(x->parentWidget()->metaObject()->className()));
        }
        QVERIFY2(missing.isEmpty(), qPrintable(missing.join(QStringLiteral("\n"))));
        // The tool bar's tooltips name their keys.
        QVERIFY(w->toolBar()->toolAction(CanvasTool::Mask)->toolTip().contains(QStringLiteral("(M)")));
    }

    // Widgets reach the engine only through the studio layer.
    void widgetsIncludeNoEngineHeaders() {
        QStringList offenders;
        QDirIterator it(QStringLiteral(DIT_SOURCE_DIR "/ui"), {QStringLiteral("*.h"), QStringLiteral("*.cpp")});
        while (it.hasNext()) {
            QFile f(it.next());
            QVERIFY(f.open(QIODevice::ReadOnly));
            const QString text = QString::fromUtf8(f.readAll());
            if (text.contains(QStringLiteral("#include \"engine/")) || text.contains(QStringLiteral("#include \"kernels/")))
                offenders << QFileInfo(f.fileName()).fileName();
        }
        QVERIFY2(offenders.isEmpty(), qPrintable(offenders.join(QStringLiteral(", "))));
    }

private:
    QTemporaryDir settings_;
};

QTEST_MAIN(TestFirstHour)
#include "test_first_hour.moc"
