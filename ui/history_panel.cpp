#include "ui/history_panel.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QVBoxLayout>

namespace dit::ui {

constexpr int kThumb = 96;

QString describe_request(const dit::Request& r) {
    QString s = QObject::tr("%1×%2, %3 steps %4, CFG %5, seed %6")
                    .arg(r.width).arg(r.height).arg(r.steps)
                    .arg(QString::fromStdString(r.sampler)).arg(double(r.cfg), 0, 'g', 3)
                    .arg(r.seed);
    if (r.init_image) s += QObject::tr(", img2img %1").arg(double(r.strength), 0, 'g', 2);
    return s;
}

HistoryPanel::HistoryPanel(QWidget* parent) : QWidget(parent) {
    auto* h = new QHBoxLayout(this);
    auto* v = new QVBoxLayout;
    list_ = new QListWidget(this);
    list_->setViewMode(QListView::IconMode);
    list_->setIconSize({kThumb, kThumb});
    list_->setGridSize({kThumb + 16, kThumb + 24});
    list_->setResizeMode(QListView::Adjust);
    list_->setMovement(QListView::Static);
    list_->setFlow(QListView::LeftToRight);  // a strip: newest on the left
    list_->setWrapping(false);
    list_->setMinimumHeight(kThumb + 48);
    list_->setUniformItemSizes(true);
    list_->setSelectionMode(QAbstractItemView::SingleSelection);
    details_ = new QLabel(tr("No results yet."), this);
    details_->setWordWrap(true);
    details_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    details_->setStyleSheet(QStringLiteral("color: #b0b0b0;"));
    auto* row = new QVBoxLayout;
    restore_ = new QPushButton(tr("Restore parameters"), this);
    apply_ = new QPushButton(tr("Apply as image"), this);
    save_ = new QPushButton(tr("Save PNG…"), this);
    compare_ = new QPushButton(tr("Compare with canvas"), this);
    compare_->setCheckable(true);
    compare_->setToolTip(tr("Show the selected result over the canvas; drag the split line"));
    row->addWidget(compare_);
    row->addWidget(restore_);
    row->addWidget(apply_);
    row->addWidget(save_);
    details_->setMinimumWidth(260);
    details_->setMaximumWidth(420);
    details_->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    h->addWidget(list_, 1);
    v->addWidget(details_, 1);
    v->addLayout(row);
    h->addLayout(v);

    connect(list_, &QListWidget::currentRowChanged, this, [this] {
        updateDetails();
        if (compare_->isChecked()) emit compareChanged(compareImage());
    });
    connect(compare_, &QPushButton::toggled, this, [this] { emit compareChanged(compareImage()); });
    connect(list_, &QListWidget::itemActivated, this, [this] {
        if (currentIndex() >= 0) emit restoreRequested(currentIndex());
    });
    connect(restore_, &QPushButton::clicked, this, [this] {
        if (currentIndex() >= 0) emit restoreRequested(currentIndex());
    });
    connect(apply_, &QPushButton::clicked, this, [this] {
        if (currentIndex() >= 0) emit applyRequested(currentIndex());
    });
    connect(save_, &QPushButton::clicked, this, [this] {
        if (currentIndex() >= 0) emit saveRequested(currentIndex());
    });
    updateDetails();
}

void HistoryPanel::addResult(const studio::GenerationResult& r) {
    results_.push_back(r);
    const QImage thumb = r.image.scaled(kThumb, kThumb, Qt::KeepAspectRatio, Qt::SmoothTransformation);
    auto* item = new QListWidgetItem(QIcon(QPixmap::fromImage(thumb)),
                                     tr("#%1  %2 s").arg(r.id).arg(r.seconds, 0, 'f', 1));
    item->setData(Qt::UserRole, int(results_.size()) - 1);
    item->setToolTip(QString::fromStdString(r.request.prompt) + "\n" + describe_request(r.request));
    list_->insertItem(0, item);  // newest first
    list_->setCurrentItem(item);
}

QImage HistoryPanel::compareImage() const {
    const int i = currentIndex();
    return compare_->isChecked() && i >= 0 ? results_[size_t(i)].image : QImage();
}

int HistoryPanel::currentIndex() const {
    const QListWidgetItem* item = list_->currentItem();
    return item ? item->data(Qt::UserRole).toInt() : -1;
}

void HistoryPanel::setCurrentIndex(int i) {
    for (int row = 0; row < list_->count(); ++row)
        if (list_->item(row)->data(Qt::UserRole).toInt() == i) list_->setCurrentRow(row);
}

void HistoryPanel::updateDetails() {
    const int i = currentIndex();
    for (QPushButton* b : {restore_, apply_, save_, compare_}) b->setEnabled(i >= 0);
    if (i < 0) {
        details_->setText(results_.empty() ? tr("No results yet.") : QString());
        return;
    }
    const auto& r = results_[size_t(i)];
    QString prompt = QString::fromStdString(r.request.prompt);
    if (prompt.size() > 160) prompt = prompt.left(157) + "…";
    details_->setText(QStringLiteral("<b>%1</b><br>%2 · %3 s")
                          .arg(prompt.toHtmlEscaped(), describe_request(r.request).toHtmlEscaped())
                          .arg(r.seconds, 0, 'f', 2));
}

}  // namespace dit::ui
