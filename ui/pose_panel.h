#pragma once
// Pose dock: the pose tool (drag joints on the canvas, right click deletes / restores one),
// add and remove people, move / scale / rotate / mirror a person or a hand, OpenPose JSON
// import / export (body, hands, face), and a background picture to trace (file dialog or an
// image dropped on the panel; opacity slider), drawn under the skeleton and saved in the project.
#include <QPointer>
#include <QWidget>

#include <functional>

#include "studio/control/pose_transform.h"
#include "studio/document/document.h"

class QComboBox;
class QGroupBox;
class QLabel;
class QPushButton;
class QSlider;
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
    // Sets the document's pose background from an image file (one undo step); false (and a
    // message) when it cannot be read.
    bool loadBackground(const QString& path);
    QPushButton* loadBackgroundButton() const { return bg_load_; }
    QPushButton* clearBackgroundButton() const { return bg_clear_; }
    QSlider* backgroundOpacitySlider() const { return bg_opacity_; }
    QLabel* backgroundLabel() const { return bg_label_; }
    // The selected person (spin box) and part (whole person or a hand) the transforms act on.
    QSpinBox* personBox() const { return person_; }
    QComboBox* partBox() const { return part_; }
    QGroupBox* transformsBox() const { return transforms_; }

signals:
    void message(const QString& text, bool error);

protected:
    void dragEnterEvent(QDragEnterEvent* e) override;
    void dropEvent(QDropEvent* e) override;

private:
    void refresh();
    void refreshBackground();
    QWidget* buildBackground();
    QWidget* buildTransforms();
    void transformSelected(const QString& name,
                           const std::function<dit::studio::Person(const dit::studio::Person&, dit::studio::PosePart)>& apply);
    CanvasView* canvas_;
    QPointer<dit::studio::Document> doc_;
    QPushButton *tool_, *add_, *remove_;
    QSpinBox* person_;
    QGroupBox* transforms_ = nullptr;
    QComboBox* part_ = nullptr;
    QPushButton *bg_load_ = nullptr, *bg_clear_ = nullptr;
    QSlider* bg_opacity_ = nullptr;
    QLabel* bg_label_ = nullptr;
};

}  // namespace dit::ui
