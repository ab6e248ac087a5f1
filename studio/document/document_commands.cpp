#include "studio/document/document_commands.h"

#include <cstring>

namespace dit::studio {

PaintPatchCommand::PaintPatchCommand(Document* doc, Document::PaintTarget target, QPoint at,
                                     QImage before, QImage after, const QString& text)
    : DocumentCommand(doc, text), target_(target), at_(at), before_(std::move(before)), after_(std::move(after)) {}

void PaintPatchCommand::apply(const QImage& patch) {
    QImage& dst = layer(target_);
    const int bytes = patch.depth() / 8;  // Grayscale8 layers 1, image layers (RGBA8888) 4
    for (int y = 0; y < patch.height(); ++y)
        std::memcpy(dst.scanLine(at_.y() + y) + at_.x() * bytes, patch.constScanLine(y), size_t(patch.width() * bytes));
    const QRect r(at_, patch.size());
    switch (target_.kind) {
        case Document::PaintTarget::Image:
            composite_layers(state().layers, state().image, r);
            notify(Document::Layer::Image, r);
            break;
        case Document::PaintTarget::Mask: notify(Document::Layer::Mask, r); break;
        case Document::PaintTarget::Edges: notify(Document::Layer::Edges, r); break;
        case Document::PaintTarget::Region: notify(Document::Layer::Region, r, target_.region_id); break;
    }
}

bool JointCommand::mergeWith(const QUndoCommand* other) {
    auto* o = static_cast<const JointCommand*>(other);
    if (sealed || o->person_ != person_ || o->joint_ != joint_) return false;
    after_ = o->after_;
    return true;
}

void EditRegionCommand::set(int i) {
    for (auto& r : state().regions)
        if (r.id == id_) {
            r.prompt = prompt_[i];
            r.colour = colour_[i];
        }
    notify(Document::Layer::Regions, {}, id_);
}

bool EditRegionCommand::mergeWith(const QUndoCommand* other) {
    // Typing into one region's prompt is one step; a colour change never folds into it.
    auto* o = static_cast<const EditRegionCommand*>(other);
    if (sealed || o->id_ != id_ || colour_[0] != colour_[1] || o->colour_[0] != o->colour_[1] || o->colour_[1] != colour_[1])
        return false;
    prompt_[1] = o->prompt_[1];
    return true;
}

bool TextCommand::mergeWith(const QUndoCommand* other) {
    if (sealed) return false;
    after_ = static_cast<const TextCommand*>(other)->after_;
    return true;
}

bool SettingsCommand::mergeWith(const QUndoCommand* other) {
    auto* o = static_cast<const SettingsCommand*>(other);
    if (sealed || o->field_ != field_) return false;
    after_ = o->after_;
    return true;
}

}  // namespace dit::studio
