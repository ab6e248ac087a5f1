#include "ui/gallery_panel.h"

#include <QRegularExpression>

#include <QComboBox>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QMessageBox>
#include <QMimeData>
#include <QPushButton>
#include <QUrl>
#include <QVBoxLayout>

#include "studio/gallery/gallery_store.h"
#include "studio/result_png.h"

namespace dit::ui {

using studio::GalleryItem;

namespace {

constexpr int kThumb = 96;

// A list whose items drag out as the result's file (so a drop restores its parameters too) and
// as the picture itself (for targets that take only pictures).
class GalleryList : public QListWidget {
public:
    GalleryList(GalleryPanel* panel, QWidget* parent) : QListWidget(parent), panel_(panel) {}

protected:
    QMimeData* mimeData(const QList<QListWidgetItem*>& items) const override {
        if (items.isEmpty()) return nullptr;
        const int i = items.front()->data(Qt::UserRole).toInt();
        auto* mime = new QMimeData;
        const GalleryItem& it = panel_->item(i);
        if (!it.file.isEmpty()) mime->setUrls({QUrl::fromLocalFile(it.file)});
        if (!it.image.isNull()) mime->setImageData(it.image);
        return mime;
    }

private:
    GalleryPanel* panel_;
};

}  // namespace

QString describe_request(const dit::Request& r) {
    QString s = QObject::tr("%1×%2, %3 steps %4, CFG %5, seed %6")
                    .arg(r.width).arg(r.height).arg(r.steps)
                    .arg(QString::fromStdString(r.sampler)).arg(double(r.cfg), 0, 'g', 3)
                    .arg(r.seed);
    if (r.mask)
        s += QObject::tr(", inpaint %1, denoise %2").arg(QString::fromStdString(r.inpaint_mode)).arg(double(r.strength), 0, 'g', 2);
    else if (r.init_image)
        s += QObject::tr(", img2img %1").arg(double(r.strength), 0, 'g', 2);
    return s;
}

GalleryPanel::GalleryPanel(QWidget* parent) : QWidget(parent) {
    auto* h = new QHBoxLayout(this);
    list_ = new GalleryList(this, this);
    list_->setViewMode(QListView::IconMode);
    list_->setIconSize({kThumb, kThumb});
    list_->setGridSize({kThumb + 16, kThumb + 24});
    list_->setResizeMode(QListView::Adjust);
    list_->setMovement(QListView::Static);
    list_->setFlow(QListView::LeftToRight);  // a strip: newest on the left
    list_->setWrapping(false);
    list_->setMinimumHeight(kThumb + 44);
    list_->setUniformItemSizes(true);
    list_->setSelectionMode(QAbstractItemView::SingleSelection);
    list_->setDragEnabled(true);
    list_->setDragDropMode(QAbstractItemView::DragOnly);
    list_->setToolTip(tr("Double-click: open as the image. Drag a thumbnail onto the canvas to open it there."));
    h->addWidget(list_, 1);

    auto* side = new QVBoxLayout;
    scope_box_ = new QComboBox(this);
    scope_box_->addItem(tr("This document"));
    scope_box_->addItem(tr("All results (gallery)"));
    scope_box_->setToolTip(tr("This document: the results saved with the project. All results: every result "
                              "the studio has made, kept on disk in the per-user gallery."));
    side->addWidget(scope_box_);
    details_ = new QLabel(this);
    details_->setWordWrap(true);
    details_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    details_->setStyleSheet(QStringLiteral("color: #b0b0b0;"));
    details_->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    details_->setMinimumWidth(200);
    details_->setMaximumWidth(360);
    details_->setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Ignored);
    side->addWidget(details_, 1);
    auto button = [this](const QString& text, const QString& tip) {
        auto* b = new QPushButton(text, this);
        b->setToolTip(tip);
        return b;
    };
    open_ = button(tr("Open as image"), tr("Make this result the image layer (double-click)"));
    init_ = button(tr("Use as init"), tr("Make this result the image layer and switch to img2img"));
    restore_ = button(tr("Restore parameters"), tr("Put this result's prompt and settings back into the panels"));
    compare_ = button(tr("Compare"), tr("Show the selected result over the canvas; drag the split line"));
    compare_->setCheckable(true);
    save_ = button(tr("Save PNG…"), tr("Save this result as a PNG that carries its parameters"));
    delete_ = button(tr("Delete"), tr("Remove this result from the document, or from the gallery folder"));
    // The actions in a column of their own, so a long prompt in the details never hides them.
    auto* actions = new QGridLayout;
    int k = 0;
    for (QPushButton* b : {open_, init_, restore_, compare_, save_, delete_}) {
        actions->addWidget(b, k % 3, k / 3);
        ++k;
    }
    actions->setRowStretch(3, 1);
    h->addLayout(side);
    h->addLayout(actions);

    connect(scope_box_, &QComboBox::currentIndexChanged, this, [this](int i) { setScope(Scope(i)); });
    connect(list_, &QListWidget::currentRowChanged, this, [this] {
        updateDetails();
        if (compare_->isChecked()) emit compareChanged(compareImage());
    });
    connect(compare_, &QPushButton::toggled, this, [this] { emit compareChanged(compareImage()); });
    connect(list_, &QListWidget::itemActivated, this, [this] { emitFull(&GalleryPanel::openRequested); });
    connect(open_, &QPushButton::clicked, this, [this] { emitFull(&GalleryPanel::openRequested); });
    connect(init_, &QPushButton::clicked, this, [this] { emitFull(&GalleryPanel::initRequested); });
    connect(restore_, &QPushButton::clicked, this, [this] { emitFull(&GalleryPanel::restoreRequested); });
    connect(save_, &QPushButton::clicked, this, [this] { emitFull(&GalleryPanel::saveRequested); });
    connect(delete_, &QPushButton::clicked, this, &GalleryPanel::deleteCurrent);
    rebuild();
}

void GalleryPanel::setDocument(studio::Document* doc) {
    if (doc_) disconnect(doc_, nullptr, this, nullptr);
    doc_ = doc;
    if (doc_)
        connect(doc_, &studio::Document::layerChanged, this, [this](studio::Document::Layer l, QRect, quint32) {
            if (l != studio::Document::Layer::Results) return;
            // A new result is also a new gallery entry.
            if (scope_ == Scope::All) reload();
            else rebuild();
        });
    rebuild();
}

void GalleryPanel::setStore(const studio::GalleryStore* store) {
    store_ = store;
    if (scope_ == Scope::All) reload();
}

void GalleryPanel::setScope(Scope scope) {
    scope_ = scope;
    if (scope_box_->currentIndex() != int(scope)) {
        const QSignalBlocker b(scope_box_);
        scope_box_->setCurrentIndex(int(scope));
    }
    if (scope == Scope::All) reload();
    else rebuild();
}

void GalleryPanel::reload() {
    all_.clear();
    if (store_) {
        QStringList problems;
        all_ = store_->list(500, &problems);
        if (!problems.isEmpty())
            emit message(tr("%n gallery file(s) could not be read: %1", nullptr, int(problems.size())).arg(problems.front()), true);
    }
    rebuild();
}

int GalleryPanel::count() const {
    if (scope_ == Scope::All) return int(all_.size());
    return doc_ ? int(doc_->results().size()) : 0;
}

const GalleryItem& GalleryPanel::item(int i) const {
    return scope_ == Scope::All ? all_[size_t(i)] : doc_->results()[size_t(i)];
}

GalleryItem GalleryPanel::fullItem(int i) const {
    const GalleryItem& it = item(i);
    if (!it.image.isNull()) return it;
    return studio::read_result_png(it.file);
}

void GalleryPanel::rebuild() {
    const int keep = currentIndex();
    const int before = list_->count();
    {
        const QSignalBlocker b(list_);
        list_->clear();
        // Newest on the left: the document's are oldest first, the gallery's newest first.
        for (int k = 0; k < count(); ++k) {
            const int i = scope_ == Scope::All ? k : count() - 1 - k;
            const GalleryItem& it = item(i);
            // A batch's images share their id: labelled "#id k/N" so they read as one group.
            static const QRegularExpression of(QStringLiteral("^batch image (\\d+) of (\\d+)"));
            const QRegularExpressionMatch m = of.match(it.notice);
            const QString label = it.id && m.hasMatch()
                                      ? tr("#%1 %2/%3  seed %4").arg(it.id).arg(m.captured(1), m.captured(2)).arg(it.request.seed)
                                  : it.id ? tr("#%1  %2 s").arg(it.id).arg(it.seconds, 0, 'f', 1)
                                          : tr("%1 s").arg(it.seconds, 0, 'f', 1);
            auto* li = new QListWidgetItem(QIcon(QPixmap::fromImage(it.thumbnail)), label, list_);
            li->setData(Qt::UserRole, i);
            li->setToolTip(QString::fromStdString(it.request.prompt) + "\n" + describe_request(it.request));
        }
    }
    // A new result is selected; otherwise the selection stays where it was.
    if (scope_ == Scope::Document && count() > before) setCurrentIndex(count() - 1);
    else if (scope_ == Scope::All && count() > 0 && keep < 0) list_->setCurrentRow(0);
    else if (keep >= 0 && keep < count()) setCurrentIndex(keep);
    updateDetails();
    if (compare_->isChecked()) emit compareChanged(compareImage());
}

QImage GalleryPanel::compareImage() const {
    const int i = currentIndex();
    if (!compare_->isChecked() || i < 0) return {};
    try {
        return fullItem(i).image;
    } catch (const std::exception&) {
        return {};
    }
}

int GalleryPanel::currentIndex() const {
    const QListWidgetItem* it = list_->currentItem();
    return it ? it->data(Qt::UserRole).toInt() : -1;
}

void GalleryPanel::setCurrentIndex(int i) {
    for (int row = 0; row < list_->count(); ++row)
        if (list_->item(row)->data(Qt::UserRole).toInt() == i) list_->setCurrentRow(row);
}

template <class Signal>
void GalleryPanel::emitFull(Signal signal) {
    const int i = currentIndex();
    if (i < 0) return;
    try {
        emit(this->*signal)(fullItem(i));
    } catch (const std::exception& e) {
        emit message(QString::fromUtf8(e.what()), true);
    }
}

void GalleryPanel::deleteCurrent() {
    const int i = currentIndex();
    if (i < 0) return;
    const bool all = scope_ == Scope::All;
    if (confirm_deletes_ &&
        QMessageBox::question(this, tr("Delete result"),
                              all ? tr("Move this result's file to the trash?\n%1").arg(item(i).file)
                                  : tr("Remove this result from the document? It stays in the gallery."),
                              QMessageBox::Yes | QMessageBox::No, QMessageBox::No) != QMessageBox::Yes)
        return;
    try {
        if (all) {
            store_->remove(item(i).file);
            reload();
        } else {
            doc_->removeResult(i);
        }
    } catch (const std::exception& e) {
        emit message(QString::fromUtf8(e.what()), true);
    }
}

void GalleryPanel::updateDetails() {
    const int i = currentIndex();
    for (QPushButton* b : {open_, init_, restore_, save_, compare_, delete_}) b->setEnabled(i >= 0);
    if (i < 0) {
        details_->setText(count() == 0 ? (scope_ == Scope::All ? tr("The gallery is empty.") : tr("No results yet."))
                                       : QString());
        return;
    }
    const GalleryItem& r = item(i);
    QString prompt = QString::fromStdString(r.request.prompt);
    if (prompt.size() > 160) prompt = prompt.left(157) + "…";
    QString text = QStringLiteral("<b>%1</b><br>%2 · %3 s")
                       .arg(prompt.toHtmlEscaped(), describe_request(r.request).toHtmlEscaped())
                       .arg(r.seconds, 0, 'f', 2);
    if (r.created.isValid()) text += QStringLiteral("<br>") + QLocale().toString(r.created, QLocale::ShortFormat);
    if (!r.notice.isEmpty()) text += QStringLiteral("<br><i>%1</i>").arg(r.notice.toHtmlEscaped());
    details_->setText(text);
}

}  // namespace dit::ui
