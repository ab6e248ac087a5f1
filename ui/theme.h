#pragma once
// The studio's look: Qt's Fusion style with a dark palette and a blue accent, the habit of
// painting and generation tools (a dark frame keeps the eye on the image).
class QApplication;

namespace dit::ui {

void apply_dark_theme(QApplication& app);

}  // namespace dit::ui
