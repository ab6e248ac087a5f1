// The generation dock's controls list and inpaint settings, driven through their widgets: add
// a pose and an edges control, set weight / start / end / on, remove; each change one undo step
// (a spin-box drag merges); start stays below end. Inpainting is selectable with its modes; an
// input the request needs but the document lacks is a message; a run with controls ends with a
// result or the engine's message, never a crash.
#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardItemModel>
#include <QStandardPaths>
#include <QTableWidget>
#include <QtTest>
#include <memory>

#include "ui/controls_editor.h"
#include "ui/generation_panel.h"
#include "tests/common/test_window.h"
#include "ui/main_window.h"
#include "ui/pose_panel.h"

using dit::studio::Document;
using dit::studio::GenerationMode;
using dit::studio::InpaintMode;
using dit::ui::ControlsEditor;
using dit::ui::MainWindow;

namespace {


template <class T>
T* cell(ControlsEditor* ed, int row, ControlsEditor::Column c) {
    auto* w = qobject_cast<T*>(ed->cell(row, c));
    if (!w) qFatal("no editor at row %d column %d", row, int(c));
    return w;
}

}  // namespace

class TestControlsEditor : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void editControlsWithUndo() {
        auto w = dit::testing::make_test_window();
        Document* doc = w->document();
        auto* ed = w->generationPanel()->controlsEditor();
        const int base = doc->undoStack()->count();

        QTest::mouseClick(ed->addPoseButton(), Qt::LeftButton);
        QCOMPARE(doc->settings().controls.size(), size_t(1));
        QVERIFY(doc->settings().controls[0] == dit::studio::ControlSettings{});  // pose, on, 1, 0..1
        QCOMPARE(ed->table()->rowCount(), 1);
        QCOMPARE(doc->undoStack()->count(), base + 1);

        // A weight drag is one step.
        auto* weight = cell<QDoubleSpinBox>(ed, 0, ControlsEditor::kWeight);
        for (double x : {0.9, 0.8, 0.75}) weight->setValue(x);
        QCOMPARE(doc->settings().controls[0].weight, 0.75);
        QCOMPARE(doc->undoStack()->count(), base + 2);
        doc->sealMerging();

        // Start and end keep start < end: each box stops short of the other's value.
        auto* start = cell<QDoubleSpinBox>(ed, 0, ControlsEditor::kStart);
        auto* end = cell<QDoubleSpinBox>(ed, 0, ControlsEditor::kEnd);
        end->setValue(0.6);
        QCOMPARE(doc->settings().controls[0].end, 0.6);
        start->setValue(0.9);  // clamped below end
        QVERIFY(doc->settings().controls[0].start < doc->settings().controls[0].end);
        start->setValue(0.2);
        QCOMPARE(doc->settings().controls[0].start, 0.2);
        QVERIFY(end->minimum() > 0.2 && start->maximum() < 0.6);

        // Off keeps the row but greys its fields.
        cell<QCheckBox>(ed, 0, ControlsEditor::kEnabled)->setChecked(false);
        QVERIFY(!doc->settings().controls[0].enabled);
        QVERIFY(!weight->isEnabled());

        QTest::mouseClick(ed->addEdgesButton(), Qt::LeftButton);
        QCOMPARE(doc->settings().controls.size(), size_t(2));
        QCOMPARE(doc->settings().controls[1].type, QStringLiteral("edges"));
        cell<QComboBox>(ed, 1, ControlsEditor::kType)->setCurrentIndex(0);
        QCOMPARE(doc->settings().controls[1].type, QStringLiteral("pose"));
        doc->undoStack()->undo();
        QCOMPARE(doc->settings().controls[1].type, QStringLiteral("edges"));
        QCOMPARE(cell<QComboBox>(ed, 1, ControlsEditor::kType)->currentData().toString(), QStringLiteral("edges"));

        // Remove the selected row; undo restores it with its values.
        ed->table()->selectRow(0);
        QTest::mouseClick(ed->removeButton(), Qt::LeftButton);
        QCOMPARE(doc->settings().controls.size(), size_t(1));
        QCOMPARE(doc->settings().controls[0].type, QStringLiteral("edges"));
        doc->undoStack()->undo();
        QCOMPARE(doc->settings().controls.size(), size_t(2));
        QCOMPARE(doc->settings().controls[0].weight, 0.75);
        QCOMPARE(ed->table()->rowCount(), 2);
        QCOMPARE(cell<QDoubleSpinBox>(ed, 0, ControlsEditor::kWeight)->value(), 0.75);

        // Undo all the way: no controls.
        while (doc->undoStack()->index() > base) doc->undoStack()->undo();
        QVERIFY(doc->settings().controls.empty());
        QCOMPARE(ed->table()->rowCount(), 0);
    }

    void inpaintModesAreSelectable() {
        auto w = dit::testing::make_test_window();
        Document* doc = w->document();
        auto* g = w->generationPanel();
        auto* model = qobject_cast<QStandardItemModel*>(g->modeCombo()->model());
        QVERIFY(model && model->item(2)->isEnabled());
        QVERIFY(!g->inpaintModeCombo()->isEnabled());
        g->modeCombo()->setCurrentIndex(2);
        QCOMPARE(doc->settings().mode, GenerationMode::Inpaint);
        QVERIFY(g->inpaintModeCombo()->isEnabled());
        QVERIFY(!g->lazyRefreshSpin()->isEnabled());
        g->inpaintModeCombo()->setCurrentIndex(2);
        QCOMPARE(doc->settings().inpaint_mode, InpaintMode::Lazy);
        QVERIFY(g->lazyRefreshSpin()->isEnabled());
        g->lazyRefreshSpin()->setValue(6);
        QCOMPARE(doc->settings().lazy_refresh, 6);

        // Without an image, then without a mask: a message naming what to do; nothing runs.
        w->generate();
        QVERIFY(!w->isGenerating());
        QVERIFY2(w->statusLabel()->text().contains(QStringLiteral("image layer")), qPrintable(w->statusLabel()->text()));
        QImage img(96, 64, QImage::Format_RGB888);
        img.fill(Qt::darkGreen);
        doc->setImage(img);
        w->generate();
        QVERIFY(!w->isGenerating());
        QVERIFY2(w->statusLabel()->text().contains(QStringLiteral("mask")), qPrintable(w->statusLabel()->text()));
    }

    void stepCacheIsASetting() {
        auto w = dit::testing::make_test_window();
        Document* doc = w->document();
        auto* g = w->generationPanel();
        QCOMPARE(doc->settings().cache, QString("off"));
        QVERIFY(!g->stepCacheBox()->isChecked() && !g->cacheThresholdSpin()->isEnabled());
        g->stepCacheBox()->setChecked(true);
        QCOMPARE(doc->settings().cache, dit::studio::cache_setting(dit::studio::kDefaultCacheThreshold));
        QVERIFY(g->cacheThresholdSpin()->isEnabled());
        g->cacheThresholdSpin()->setValue(0.35);
        QCOMPARE(doc->settings().cache, QString("teacache:0.35"));
        doc->undoStack()->undo();
        QCOMPARE(g->cacheThresholdSpin()->value(), dit::studio::kDefaultCacheThreshold);
        g->stepCacheBox()->setChecked(false);
        QCOMPARE(doc->settings().cache, QString("off"));
        QVERIFY(!g->cacheThresholdSpin()->isEnabled());
    }

    void controlsRunOrSayWhyNot() {
        auto w = dit::testing::make_test_window();
        Document* doc = w->document();
        auto* g = w->generationPanel();
        g->stepsSpin()->setValue(2);
        doc->setPrompt(QStringLiteral("a red circle"));
        QTest::mouseClick(g->controlsEditor()->addPoseButton(), Qt::LeftButton);
        // No person on the pose layer: a message, nothing runs.
        w->generate();
        QVERIFY(!w->isGenerating());
        QVERIFY2(w->statusLabel()->text().contains(QStringLiteral("no person")), qPrintable(w->statusLabel()->text()));

        // With a person the request goes to the engine: a result, or the engine's message (a
        // model without a pose adapter), and the window goes on.
        QTest::mouseClick(w->posePanel()->addButton(), Qt::LeftButton);
        QSignalSpy ended(w.get(), &MainWindow::generationEnded);
        QSignalSpy failed(w->worker(), &dit::studio::GenerationWorker::failed);
        w->generate();
        QVERIFY(w->isGenerating());
        QTRY_COMPARE_WITH_TIMEOUT(ended.count(), 1, 120000);
        qInfo("with a pose control: %s", qPrintable(w->statusLabel()->text()));
        if (failed.count()) QVERIFY(w->statusLabel()->text().contains(QStringLiteral("failed")));
        QVERIFY(!w->isGenerating());
    }
};

QTEST_MAIN(TestControlsEditor)
#include "test_controls_editor.moc"
