#pragma once
// Pose dock: the pose tool (drag joints on the canvas, right click deletes / restores one),
// add and remove people, and OpenPose JSON import / export of the body keypoints.
#include <QPointer>
#include <QWidget>

#include "studio/document/document.h"

class QPushButton;
class QSpinBox;

namespace dit::ui {

class CanvasView;

// A standing person filling `fraction` of the canvas height, centred at `centre_x` (0..1).
dit::studio::Person standing_person(QSize canvas, double centre_x = 0.5, double fraction = 0.8);

class PosePanel : public QWidget {
    Q_OBJECT
public:
    explicit PosePanel(CanvasView* canvas, QWidget* parent = nullptr);
    void setDocument(dit::studio::Document* doc);
    QPushButton* addButton() const { return add_; }

    bool importJson(const QString& path);  // replaces the people (one undo step)
    bool exportJson(const QString& path);

signals:
    void message(const QString& text, bool error);

private:
    void refresh();
    CanvasView* canvas_;
    QPointer<dit::studio::Document> doc_;
    QPushButton *tool_, *add_, *remove_;
    QSpinBox* person_;
};

}  // namespace dit::ui
