// The pose panel's background to trace: loaded from a file and dropped on the panel, drawn under
// the skeleton at the slider's opacity (a slider drag is one undo step), removed, saved in the
// project and opened again; a file that is not an image is a message, not a change.
#include <QLabel>
#include <QMimeData>
#include <QPushButton>
#include <QSlider>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>
#include <memory>

#include "ui/canvas_view.h"
#include "tests/common/test_window.h"
#include "ui/main_window.h"
#include "ui/pose_panel.h"

using dit::studio::Document;
using dit::ui::MainWindow;

namespace {


// A 48x32 picture (the canvas's aspect, so it fills the canvas): left half yellow, right blue.
QString write_picture(const QTemporaryDir& tmp) {
    QImage img(48, 32, QImage::Format_RGB888);
    img.fill(QColor(250, 220, 0));
    for (int y = 0; y < 32; ++y)
        for (int x = 24; x < 48; ++x) img.setPixelColor(x, y, QColor(0, 60, 250));
    const QString path = tmp.filePath("trace.png");
    img.save(path);
    return path;
}

void drop_file(QWidget* target, const QString& path) {
    QMimeData mime;
    mime.setUrls({QUrl::fromLocalFile(path)});
    const QPoint at = target->rect().center();
    QDragEnterEvent enter(at, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(target, &enter);
    QVERIFY(enter.isAccepted());
    QDropEvent drop(at, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(target, &drop);
    QVERIFY(drop.isAccepted());
}

QColor canvas_pixel(dit::ui::CanvasView* canvas, QPointF canvas_point) {
    return canvas->grab().toImage().pixelColor(canvas->canvasToWidget(canvas_point).toPoint());
}

}  // namespace

class TestPoseBackground : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void loadShowOpacityRemoveAndUndo() {
        QTemporaryDir tmp;
        const QString picture = write_picture(tmp);
        auto w = dit::testing::make_test_window();
        Document* doc = w->document();
        auto* panel = w->posePanel();
        auto* canvas = w->canvas();
        // The window settles its layout once shown; the canvas's place is measured after that.
        QVERIFY(QTest::qWaitForWindowExposed(w.get()));
        QCoreApplication::processEvents();
        QVERIFY(!panel->backgroundOpacitySlider()->isEnabled());
        const QColor bare = canvas_pixel(canvas, {20, 30});
        const int base = doc->undoStack()->count();

        QVERIFY(panel->loadBackground(picture));
        QCOMPARE(doc->state().pose_background.size(), QSize(48, 32));  // kept at its own size
        QCOMPARE(doc->undoStack()->count(), base + 1);
        QVERIFY(panel->backgroundOpacitySlider()->isEnabled());
        QCOMPARE(panel->backgroundOpacitySlider()->value(), 50);
        QVERIFY(panel->backgroundLabel()->text().contains(QStringLiteral("48×32")));
        // Drawn fitted over the canvas: yellowish on the left, bluish on the right, at 50%.
        const QColor left = canvas_pixel(canvas, {20, 30}), right = canvas_pixel(canvas, {76, 30});
        qInfo("canvas %s -> left %s, right %s", qPrintable(bare.name()), qPrintable(left.name()), qPrintable(right.name()));
        QVERIFY(left.red() > bare.red() + 60 && left.green() > bare.green() + 50);
        QVERIFY(right.blue() > bare.blue() + 60 && right.red() <= bare.red());

        // The slider drag is one undo step; opacity 100% shows the picture as it is.
        panel->backgroundOpacitySlider()->setValue(70);
        panel->backgroundOpacitySlider()->setValue(100);
        emit panel->backgroundOpacitySlider()->sliderReleased();
        QCOMPARE(doc->state().pose_background_opacity, 1.0);
        QCOMPARE(doc->undoStack()->count(), base + 2);
        const QColor full = canvas_pixel(canvas, {20, 30});
        // Tolerance 2 per channel: the picture is scaled 2x (smoothly) onto the screen.
        QVERIFY2(std::abs(full.red() - 250) <= 2 && std::abs(full.green() - 220) <= 2 && full.blue() <= 2,
                 qPrintable(full.name()));
        // ... under the skeleton: a person's joints are drawn over it.
        QTest::mouseClick(panel->addButton(), Qt::LeftButton);
        const auto& neck = doc->people()[0].body[1];
        QVERIFY(canvas_pixel(canvas, {neck.x, neck.y}) != QColor(250, 220, 0));
        doc->undoStack()->undo();  // the person

        // Hidden with the pose layer.
        canvas->setLayerView(dit::ui::CanvasLayer::Pose, {false, 1.0});
        QCOMPARE(canvas_pixel(canvas, {20, 30}), bare);
        canvas->setLayerView(dit::ui::CanvasLayer::Pose, {true, 1.0});

        // Remove, undo, undo: back to no background.
        QTest::mouseClick(panel->clearBackgroundButton(), Qt::LeftButton);
        QVERIFY(doc->state().pose_background.isNull());
        QCOMPARE(canvas_pixel(canvas, {20, 30}), bare);
        doc->undoStack()->undo();
        QCOMPARE(doc->state().pose_background.size(), QSize(48, 32));
        doc->undoStack()->undo();
        QCOMPARE(doc->state().pose_background_opacity, 0.5);
        QCOMPARE(panel->backgroundOpacitySlider()->value(), 50);
        doc->undoStack()->undo();
        QVERIFY(doc->state().pose_background.isNull());
        QVERIFY(!panel->clearBackgroundButton()->isEnabled());
    }

    void dropOnThePanelAndBrokenFiles() {
        QTemporaryDir tmp;
        const QString picture = write_picture(tmp);
        auto w = dit::testing::make_test_window();
        Document* doc = w->document();
        drop_file(w->posePanel(), picture);
        QCOMPARE(doc->state().pose_background.size(), QSize(48, 32));
        QVERIFY(doc->image().isNull());  // the image layer is not what a panel drop sets

        QFile bad(tmp.filePath("notes.png"));
        QVERIFY(bad.open(QIODevice::WriteOnly));
        bad.write("not a picture");
        bad.close();
        const int count = doc->undoStack()->count();
        QSignalSpy messages(w->posePanel(), &dit::ui::PosePanel::message);
        QVERIFY(!w->posePanel()->loadBackground(bad.fileName()));
        QCOMPARE(messages.count(), 1);
        QVERIFY(messages[0][1].toBool());  // an error
        QVERIFY(messages[0][0].toString().contains(QStringLiteral("notes.png")));
        QCOMPARE(doc->undoStack()->count(), count);
        QCOMPARE(doc->state().pose_background.size(), QSize(48, 32));
    }

    void savedInTheProject() {
        QTemporaryDir tmp;
        const QString picture = write_picture(tmp);
        auto w = dit::testing::make_test_window();
        QVERIFY(w->posePanel()->loadBackground(picture));
        w->posePanel()->backgroundOpacitySlider()->setValue(35);
        const QImage bg = w->document()->state().pose_background;
        const QString folder = tmp.filePath("project");
        QVERIFY(w->saveProject(folder));
        QVERIFY(QFile::exists(folder + "/pose_background.png"));

        auto w2 = dit::testing::make_test_window();
        QVERIFY(w2->openProject(folder));
        QCOMPARE(w2->document()->state().pose_background, bg);
        QCOMPARE(w2->document()->state().pose_background_opacity, 0.35);
        QCOMPARE(w2->posePanel()->backgroundOpacitySlider()->value(), 35);
        QVERIFY(w2->posePanel()->clearBackgroundButton()->isEnabled());
    }
};

QTEST_MAIN(TestPoseBackground)
#include "test_pose_background.moc"
