#include "ui/region_editor.h"

#include <QColorDialog>
#include <QEvent>
#include <QGridLayout>
#include <QLabel>
#include <QListWidget>
#include <QPainter>
#include <QPlainTextEdit>
#include <QPushButton>

#include "studio/document/mask_ops.h"
#include "ui/canvas_view.h"
#include "ui/overlay_colours.h"
#include "ui/prompt_marks.h"

namespace dit::ui {

using studio::Document;
using studio::Region;

namespace {

QIcon swatch(const QColor& c) {
    QPixmap pm(14, 14);
    pm.fill(Qt::transparent);
    QPainter p(&pm);
    p.setRenderHint(QPainter::Antialiasing);
    p.setPen(QPen(QColor(0, 0, 0, 160), 1));
    p.setBrush(c);
    p.drawRoundedRect(QRectF(0.5, 0.5, 13, 13), 3, 3);
    return QIcon(pm);
}

}  // namespace

RegionEditor::RegionEditor(CanvasView* canvas, QWidget* parent) : QWidget(parent), canvas_(canvas) {
    auto* g = new QGridLayout(this);
    g->setContentsMargins(0, 0, 0, 0);
    list_ = new QListWidget(this);
    list_->setSelectionMode(QAbstractItemView::SingleSelection);
    list_->setMaximumHeight(72);
    list_->setToolTip(tr("Each region's prompt steers the image under its mask. Regions without a "
                         "prompt or without painted pixels are left out of a generation."));
    add_ = new QPushButton(tr("Add"), this);
    add_->setToolTip(tr("Add a region and paint its mask on the canvas"));
    remove_ = new QPushButton(tr("Remove"), this);
    remove_->setToolTip(tr("Remove the selected region and its mask"));
    colour_ = new QPushButton(tr("Colour…"), this);
    colour_->setToolTip(tr("The colour the region is shown in on the canvas (never one close to the mask's)"));
    paint_ = new QPushButton(tr("Paint (R)"), this);
    paint_->setCheckable(true);
    paint_->setToolTip(tr("Paint the selected region's mask with the region brush (R); it stays on until "
                          "you pick another tool. Erase with E."));
    prompt_ = new QPlainTextEdit(this);
    prompt_->setPlaceholderText(tr("What is in this region…"));
    prompt_->setTabChangesFocus(true);
    prompt_->setMaximumHeight(52);
    prompt_->installEventFilter(this);
    tokens_ = new QLabel(this);
    tokens_->setAlignment(Qt::AlignRight);
    g->addWidget(list_, 0, 0, 1, 4);
    g->addWidget(add_, 1, 0);
    g->addWidget(remove_, 1, 1);
    g->addWidget(colour_, 1, 2);
    g->addWidget(paint_, 1, 3);
    g->addWidget(prompt_, 2, 0, 1, 4);
    g->addWidget(tokens_, 3, 0, 1, 4);

    connect(list_, &QListWidget::itemSelectionChanged, this, &RegionEditor::selectionChanged);
    connect(add_, &QPushButton::clicked, this, [this] {
        if (!doc_) return;
        doc_->sealMerging();
        const quint32 id = doc_->addRegion(QString(), nextColour());
        selectRegion(id);
        paint_->setChecked(true);
        prompt_->setFocus(Qt::OtherFocusReason);
    });
    connect(remove_, &QPushButton::clicked, this, [this] {
        if (doc_ && doc_->region(selectedRegion())) doc_->removeRegion(selectedRegion());
    });
    connect(colour_, &QPushButton::clicked, this, [this] {
        const Region* r = doc_ ? doc_->region(selectedRegion()) : nullptr;
        if (!r) return;
        const QColor c = QColorDialog::getColor(r->colour, this, tr("Region colour"));
        if (c.isValid()) setSelectedColour(c);
    });
    connect(paint_, &QPushButton::toggled, this, [this](bool on) {
        if (on && doc_ && doc_->region(selectedRegion())) {
            canvas_->setActiveRegion(selectedRegion());
            canvas_->setTool(CanvasTool::Region);
            return;
        }
        // Refused: on without a region, or off by a second click, which would silently hand
        // the next stroke to the mask. Another tool turns the region brush off.
        QSignalBlocker b(paint_);
        paint_->setChecked(canvas_->tool() == CanvasTool::Region);
    });
    connect(canvas_, &CanvasView::toolChanged, this, [this](CanvasTool t) {
        QSignalBlocker b(paint_);
        paint_->setChecked(t == CanvasTool::Region);
    });
    connect(prompt_, &QPlainTextEdit::textChanged, this, [this] {
        const Region* r = doc_ ? doc_->region(selectedRegion()) : nullptr;
        if (r && r->prompt != prompt_->toPlainText()) doc_->editRegion(r->id, prompt_->toPlainText(), r->colour);
    });
    refresh();
}

void RegionEditor::setDocument(Document* doc) {
    if (doc_) disconnect(doc_, nullptr, this, nullptr);
    doc_ = doc;
    if (doc_)
        connect(doc_, &Document::layerChanged, this, [this](Document::Layer l, QRect, quint32) {
            // Regions: added, removed, renamed, recoloured; Region: a stroke landed (the list
            // says which regions are still unpainted).
            if (l == Document::Layer::Regions) refresh();
            else if (l == Document::Layer::Region && !canvas_->isStroking()) refresh();
        });
    refresh();
}

void RegionEditor::setTokens(std::shared_ptr<const studio::PromptTokens> tokens) {
    tokens_count_ = std::move(tokens);
    refresh();
}

quint32 RegionEditor::selectedRegion() const {
    const auto items = list_->selectedItems();
    return items.isEmpty() ? 0 : items.front()->data(Qt::UserRole).toUInt();
}

void RegionEditor::selectRegion(quint32 id) {
    for (int i = 0; i < list_->count(); ++i)
        if (list_->item(i)->data(Qt::UserRole).toUInt() == id) {
            list_->setCurrentRow(i);
            return;
        }
}

bool RegionEditor::setSelectedColour(const QColor& colour) {
    const Region* r = doc_ ? doc_->region(selectedRegion()) : nullptr;
    if (!r || r->colour == colour) return false;
    if (colours_collide(colour, canvas_->maskTint())) {
        emit message(tr("%1 is too close to the mask's colour: a region in it would read as the mask").arg(colour.name()), true);
        return false;
    }
    doc_->sealMerging();  // a colour change never folds into typing
    doc_->editRegion(r->id, r->prompt, colour);
    doc_->sealMerging();
    return true;
}

QColor RegionEditor::nextColour() const {
    QList<QColor> used;
    if (doc_)
        for (const Region& r : doc_->regions()) used.push_back(r.colour);
    return next_region_colour(canvas_->maskTint(), used);
}

QString RegionEditor::tokenText(const QString& prompt, bool* over) const {
    *over = false;
    if (!tokens_count_) return tr("no model: tokens not counted");
    const int n = tokens_count_->count(prompt);
    *over = n > tokens_count_->limit();
    return tr("%1 / %2 tokens").arg(n).arg(tokens_count_->limit());
}

void RegionEditor::refresh() {
    const quint32 keep = selectedRegion();
    {
        QSignalBlocker b(list_);
        list_->clear();
        if (doc_) {
            for (const Region& r : doc_->regions()) {
                bool over = false;
                const QString count = tokens_count_ ? tokenText(r.prompt, &over) : QString();
                QString text = r.prompt.simplified();
                if (text.isEmpty()) text = tr("(no prompt)");
                if (!studio::any_painted(r.mask)) text += tr("  · not painted");
                else if (tokens_count_) text += QStringLiteral("  · ") + count;
                auto* item = new QListWidgetItem(swatch(r.colour), text, list_);
                item->setData(Qt::UserRole, r.id);
                item->setToolTip(r.prompt);
                if (over) item->setForeground(QColor(255, 107, 107));
            }
        }
        // The region kept, else the last one (a new or restored region is the one to edit).
        int row = list_->count() - 1;
        for (int i = 0; i < list_->count(); ++i)
            if (list_->item(i)->data(Qt::UserRole).toUInt() == keep) row = i;
        if (row >= 0) list_->setCurrentRow(row);
    }
    selectionChanged();
}

void RegionEditor::selectionChanged() {
    const Region* r = doc_ ? doc_->region(selectedRegion()) : nullptr;
    remove_->setEnabled(r);
    colour_->setEnabled(r);
    paint_->setEnabled(r);
    prompt_->setEnabled(r);
    // Only a change from elsewhere (another region, undo) rewrites the field, so typing keeps
    // its cursor.
    const QString text = r ? r->prompt : QString();
    if (prompt_->toPlainText() != text) {
        QSignalBlocker b(prompt_);
        prompt_->setPlainText(text);
    }
    if (r && canvas_->activeRegion() != r->id) canvas_->setActiveRegion(r->id);
    if (!r && canvas_->tool() == CanvasTool::Region) canvas_->setTool(CanvasTool::Mask);
    showPromptIssues();
}

void RegionEditor::showPromptIssues() {
    const QString help = tr("What is in the selected region; it steers the picture under the region's mask");
    if (!doc_ || !doc_->region(selectedRegion())) {
        prompt_->setExtraSelections({});
        prompt_->setToolTip(help);
        tokens_->clear();
        return;
    }
    show_prompt_issues(prompt_, tokens_, tokens_count_.get(), tr("region %1's prompt").arg(list_->currentRow() + 1), help);
}

bool RegionEditor::eventFilter(QObject* watched, QEvent* event) {
    if (watched == prompt_ && event->type() == QEvent::FocusOut && doc_) doc_->sealMerging();
    return QWidget::eventFilter(watched, event);
}

}  // namespace dit::ui
