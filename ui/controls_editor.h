#pragma once
// The controls list of the generation dock: one row per control adapter (type, enabled, weight,
// start, end), bound to GenerationSettings::controls. Each change is one settings command (a
// spin-box drag merges); the maps themselves come from the document when a request is made
// (pose: the pose layer rendered; edges: the edge layer).
#include <QPointer>
#include <QWidget>

#include "studio/document/document.h"

class QPushButton;
class QTableWidget;

namespace dit::ui {

class ControlsEditor : public QWidget {
    Q_OBJECT
public:
    enum Column { kType, kEnabled, kWeight, kStart, kEnd, kColumns };

    explicit ControlsEditor(QWidget* parent = nullptr);
    void setDocument(dit::studio::Document* doc);

    QTableWidget* table() const { return table_; }
    QPushButton* addPoseButton() const { return add_pose_; }
    QPushButton* addEdgesButton() const { return add_edges_; }
    QPushButton* removeButton() const { return remove_; }
    // The editor widget of a cell (QComboBox, QCheckBox or QDoubleSpinBox), for tests.
    QWidget* cell(int row, Column column) const;

private:
    void refresh();  // the rows from the document's settings
    void add(const QString& type);
    // Applies `edit` to control `row` and records it under `field`.
    template <class F>
    void change(int row, const QString& field, F edit);

    QPointer<dit::studio::Document> doc_;
    QTableWidget* table_;
    QPushButton *add_pose_, *add_edges_, *remove_;
};

}  // namespace dit::ui
