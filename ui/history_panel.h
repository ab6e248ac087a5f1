#pragma once
// History dock: every result of this session, newest first, with its thumbnail and parameters.
// Double-click (or "Restore") puts its parameters back into the document; "Apply" makes it the
// image layer; "Compare" shows it over the canvas with a split line; "Save PNG" writes it with its parameters in the PNG's text chunks.
#include <QWidget>
#include <vector>

#include "studio/generation_worker.h"

class QLabel;
class QListWidget;
class QPushButton;

namespace dit::ui {

class HistoryPanel : public QWidget {
    Q_OBJECT
public:
    explicit HistoryPanel(QWidget* parent = nullptr);

    void addResult(const dit::studio::GenerationResult& result);
    int count() const { return int(results_.size()); }
    const dit::studio::GenerationResult& result(int i) const { return results_[size_t(i)]; }
    int currentIndex() const;  // into result(); -1 when nothing is selected
    void setCurrentIndex(int i);
    QListWidget* list() const { return list_; }
    QPushButton* compareButton() const { return compare_; }
    // The image to show over the canvas: the selected result while "Compare" is on, else null.
    QImage compareImage() const;

signals:
    void restoreRequested(int index);
    void applyRequested(int index);
    void saveRequested(int index);
    void compareChanged(const QImage& image);  // compareImage() changed

private:
    void updateDetails();
    std::vector<dit::studio::GenerationResult> results_;
    QListWidget* list_;
    QLabel* details_;
    QPushButton *restore_, *apply_, *save_, *compare_;
};

// The short description a history entry and its tooltip show.
QString describe_request(const dit::Request& r);

}  // namespace dit::ui
