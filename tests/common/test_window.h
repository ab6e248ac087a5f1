#pragma once
// The studio window the UI suites drive: the tiny test model, a 96x64 canvas, no autosave,
// shown at a size that fits the offscreen screen.
#include <QPoint>
#include <QTemporaryDir>
#include <QtTest>
#include <memory>

#include "ui/canvas_view.h"
#include "ui/main_window.h"

namespace dit::testing {

inline std::unique_ptr<ui::MainWindow> make_test_window() {
    // One gallery folder per test process: results never reach the user's.
    static QTemporaryDir gallery;
    ui::MainWindow::Options o;
    o.model_dir = QStringLiteral(DIT_FIXTURES "/tiny-pixart-alpha");
    o.canvas = QSize(96, 64);
    o.autosave = false;
    o.remember_layout = false;
    o.gallery_dir = gallery.path();
    auto w = std::make_unique<ui::MainWindow>(o);
    w->resize(1200, 800);
    w->show();
    return w;
}

// A left-button drag on a widget from `a` to `b` (widget pixels) in `moves` even steps.
inline void drag(QWidget* widget, QPoint a, QPoint b, int moves = 5) {
    QTest::mousePress(widget, Qt::LeftButton, {}, a);
    for (int i = 1; i <= moves; ++i) QTest::mouseMove(widget, a + (b - a) * i / moves);
    QTest::mouseRelease(widget, Qt::LeftButton, {}, b);
}

}  // namespace dit::testing
