#pragma once
// The gallery dock: results as thumbnails, newest on the left, in two scopes: this document's
// results (saved with its project) and every result the studio has made (the per-user gallery,
// studio/gallery/gallery_store.h), browsable after a restart. For the selected result: open it
// as the image, use it as the init image, restore its parameters, compare it with the canvas,
// save it as a PNG, or delete it. A thumbnail dragged onto the canvas opens as the image.
#include <QPointer>
#include <QWidget>
#include <vector>

#include "studio/document/document.h"
#include "studio/gallery/gallery_item.h"

class QComboBox;
class QLabel;
class QListWidget;
class QPushButton;

namespace dit::studio {
class GalleryStore;
}

namespace dit::ui {

class GalleryPanel : public QWidget {
    Q_OBJECT
public:
    enum class Scope { Document, All };
    explicit GalleryPanel(QWidget* parent = nullptr);
    void setDocument(dit::studio::Document* doc);
    void setStore(const dit::studio::GalleryStore* store);  // the per-user gallery; may be null
    void setScope(Scope scope);
    Scope scope() const { return scope_; }
    // Deleting asks first unless turned off (tests).
    void setConfirmDeletes(bool on) { confirm_deletes_ = on; }

    // The results shown, in the scope's order: the document's oldest first (its index in
    // Document::results()), the gallery's newest first.
    int count() const;
    const dit::studio::GalleryItem& item(int i) const;
    // item(i) with its full image (a gallery entry is read from its file). Throws dit::Error.
    dit::studio::GalleryItem fullItem(int i) const;
    int currentIndex() const;  // -1 when nothing is selected
    void setCurrentIndex(int i);
    // Re-reads the gallery folder (the All scope).
    void reload();

    QListWidget* list() const { return list_; }
    QComboBox* scopeCombo() const { return scope_box_; }
    QPushButton* openButton() const { return open_; }
    QPushButton* initButton() const { return init_; }
    QPushButton* restoreButton() const { return restore_; }
    QPushButton* compareButton() const { return compare_; }
    QPushButton* saveButton() const { return save_; }
    QPushButton* deleteButton() const { return delete_; }
    // The image to show over the canvas: the selected result while "Compare" is on, else null.
    QImage compareImage() const;

signals:
    void openRequested(const dit::studio::GalleryItem& item);     // as the image layer
    void initRequested(const dit::studio::GalleryItem& item);     // as the image, mode img2img
    void restoreRequested(const dit::studio::GalleryItem& item);  // its parameters
    void saveRequested(const dit::studio::GalleryItem& item);
    void compareChanged(const QImage& image);
    void message(const QString& text, bool error);

private:
    void rebuild();
    void updateDetails();
    void deleteCurrent();
    template <class Signal>
    void emitFull(Signal signal);

    QPointer<dit::studio::Document> doc_;
    const dit::studio::GalleryStore* store_ = nullptr;
    Scope scope_ = Scope::Document;
    bool confirm_deletes_ = true;
    std::vector<dit::studio::GalleryItem> all_;  // the All scope's listing
    QComboBox* scope_box_;
    QListWidget* list_;
    QLabel* details_;
    QPushButton *open_, *init_, *restore_, *compare_, *save_, *delete_;
};

// The short description a gallery entry and its tooltip show.
QString describe_request(const dit::Request& r);

}  // namespace dit::ui
