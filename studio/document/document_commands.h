#pragma once
// The undo commands behind every Document edit. Each stores exactly what it needs to restore
// the bytes it changed (a rect's before/after for paint, the old and new value otherwise).
#include <QUndoCommand>

#include "studio/document/document.h"

namespace dit::studio {

class DocumentCommand : public QUndoCommand {
public:
    DocumentCommand(Document* doc, const QString& text) : QUndoCommand(text), doc_(doc) {}
    // A sealed command takes no more merges (see Document::sealMerging).
    bool sealed = false;

protected:
    DocumentState& state() { return doc_->state_; }
    QImage& layer(Document::PaintTarget t) { return doc_->layer(t); }
    void notify(Document::Layer l, QRect r = {}, quint32 id = 0) { emit doc_->layerChanged(l, r, id); }
    void notifyCanvas() { emit doc_->canvasChanged(); }
    Document* doc_;
};

// Command ids for merging.
enum : int { kMergeJoint = 1, kMergePrompt, kMergeNegative, kMergeSettings, kMergeRegion, kMergeBackgroundOpacity,
             kMergeLayerOpacity };

class PaintPatchCommand : public DocumentCommand {
public:
    PaintPatchCommand(Document* doc, Document::PaintTarget target, QPoint at, QImage before,
                      QImage after, const QString& text);
    void undo() override { apply(before_); }
    void redo() override { apply(after_); }

private:
    void apply(const QImage& patch);
    Document::PaintTarget target_;
    QPoint at_;
    QImage before_, after_;
};

// The image layer stack before and after (pixels are shared QImages, so this is cheap), with
// the selection and the id counter, so undo gives back exactly the stack that was.
class LayerStackCommand : public DocumentCommand {
public:
    struct Stack {
        std::vector<ImageLayer> layers;
        quint32 current = 0, next_id = 1;
    };
    LayerStackCommand(Document* doc, Stack before, Stack after, const QString& text, quint32 merge_layer)
        : DocumentCommand(doc, text), before_(std::move(before)), after_(std::move(after)), merge_layer_(merge_layer) {}
    void undo() override { set(before_); }
    void redo() override { set(after_); }
    int id() const override { return merge_layer_ ? kMergeLayerOpacity : -1; }
    bool mergeWith(const QUndoCommand* other) override {
        auto* o = static_cast<const LayerStackCommand*>(other);
        if (sealed || o->merge_layer_ != merge_layer_) return false;
        after_ = o->after_;
        return true;
    }

private:
    void set(const Stack& s) {
        state().layers = s.layers;
        state().current_layer = s.current;
        state().next_layer_id = s.next_id;
        state().image = composite_layers(s.layers, state().canvas);
        notify(Document::Layer::ImageLayers);
        notify(Document::Layer::Image);
    }
    Stack before_, after_;
    quint32 merge_layer_;
};

// The whole document before and after a canvas size change, less the results (kept as they are
// on either side). The states share their unchanged QImages with each other.
class CanvasCommand : public DocumentCommand {
public:
    CanvasCommand(Document* doc, DocumentState before, DocumentState after, const QString& text)
        : DocumentCommand(doc, text), before_(std::move(before)), after_(std::move(after)) {
        before_.results.clear();
        after_.results.clear();
    }
    void undo() override { set(before_); }
    void redo() override { set(after_); }

private:
    void set(const DocumentState& s) {
        std::vector<GalleryItem> results = std::move(state().results);
        state() = s;
        state().results = std::move(results);
        notifyCanvas();
    }
    DocumentState before_, after_;
};

class SelectionCommand : public DocumentCommand {
public:
    SelectionCommand(Document* doc, QImage before, QImage after, const QString& text)
        : DocumentCommand(doc, text), before_(std::move(before)), after_(std::move(after)) {}
    void undo() override { set(before_); }
    void redo() override { set(after_); }

private:
    void set(const QImage& s) {
        state().selection = s;
        notify(Document::Layer::Selection);
    }
    QImage before_, after_;
};

class JointCommand : public DocumentCommand {
public:
    JointCommand(Document* doc, int person, int joint, Keypoint before, Keypoint after, const QString& text)
        : DocumentCommand(doc, text), person_(person), joint_(joint), before_(before), after_(after) {}
    void undo() override { set(before_); }
    void redo() override { set(after_); }
    int id() const override { return kMergeJoint; }
    bool mergeWith(const QUndoCommand* other) override;

private:
    void set(const Keypoint& k) {
        *pose_point(state().people[person_], joint_) = k;
        notify(Document::Layer::Pose);
    }
    int person_, joint_;
    Keypoint before_, after_;
};

class PersonCommand : public DocumentCommand {
public:
    PersonCommand(Document* doc, bool add, int index, Person person)
        : DocumentCommand(doc, add ? QObject::tr("Add person") : QObject::tr("Remove person")),
          add_(add), index_(index), person_(person) {}
    void undo() override { add_ ? remove() : insert(); }
    void redo() override { add_ ? insert() : remove(); }

private:
    void insert() {
        state().people.insert(state().people.begin() + index_, person_);
        notify(Document::Layer::Pose);
    }
    void remove() {
        state().people.erase(state().people.begin() + index_);
        notify(Document::Layer::Pose);
    }
    bool add_;
    int index_;
    Person person_;
};

// A whole person before and after, so any transform of a skeleton or hand undoes exactly.
class PersonEditCommand : public DocumentCommand {
public:
    PersonEditCommand(Document* doc, int index, Person before, Person after, const QString& text)
        : DocumentCommand(doc, text), index_(index), before_(std::move(before)), after_(std::move(after)) {}
    void undo() override { set(before_); }
    void redo() override { set(after_); }

private:
    void set(const Person& p) {
        state().people[index_] = p;
        notify(Document::Layer::Pose);
    }
    int index_;
    Person before_, after_;
};

class RegionCommand : public DocumentCommand {
public:
    RegionCommand(Document* doc, bool add, int index, Region region)
        : DocumentCommand(doc, add ? QObject::tr("Add region") : QObject::tr("Remove region")),
          add_(add), index_(index), region_(std::move(region)) {}
    void undo() override { add_ ? remove() : insert(); }
    void redo() override { add_ ? insert() : remove(); }

private:
    void insert() {
        state().regions.insert(state().regions.begin() + index_, region_);
        notify(Document::Layer::Regions);
    }
    void remove() {
        // The removed region's mask as it is now (it may have been painted since it was added).
        region_ = state().regions[index_];
        state().regions.erase(state().regions.begin() + index_);
        notify(Document::Layer::Regions);
    }
    bool add_;
    int index_;
    Region region_;
};

class EditRegionCommand : public DocumentCommand {
public:
    EditRegionCommand(Document* doc, quint32 id, QString prompt0, QColor colour0, QString prompt1, QColor colour1)
        : DocumentCommand(doc, QObject::tr("Edit region")), id_(id), prompt_{prompt0, prompt1},
          colour_{colour0, colour1} {}
    void undo() override { set(0); }
    void redo() override { set(1); }
    int id() const override { return kMergeRegion; }
    bool mergeWith(const QUndoCommand* other) override;

private:
    void set(int i);
    quint32 id_;
    QString prompt_[2];
    QColor colour_[2];
};

class PoseBackgroundCommand : public DocumentCommand {
public:
    PoseBackgroundCommand(Document* doc, QImage before, QImage after)
        : DocumentCommand(doc, after.isNull() ? QObject::tr("Remove pose background") : QObject::tr("Set pose background")),
          before_(std::move(before)), after_(std::move(after)) {}
    void undo() override { set(before_); }
    void redo() override { set(after_); }

private:
    void set(const QImage& img) {
        state().pose_background = img;
        notify(Document::Layer::PoseBackground);
    }
    QImage before_, after_;
};

class PoseBackgroundOpacityCommand : public DocumentCommand {
public:
    PoseBackgroundOpacityCommand(Document* doc, double before, double after)
        : DocumentCommand(doc, QObject::tr("Pose background opacity")), before_(before), after_(after) {}
    void undo() override { set(before_); }
    void redo() override { set(after_); }
    int id() const override { return kMergeBackgroundOpacity; }
    bool mergeWith(const QUndoCommand* other) override {
        if (sealed) return false;
        after_ = static_cast<const PoseBackgroundOpacityCommand*>(other)->after_;
        return true;
    }

private:
    void set(double o) {
        state().pose_background_opacity = o;
        notify(Document::Layer::PoseBackground);
    }
    double before_, after_;
};

class TextCommand : public DocumentCommand {
public:
    TextCommand(Document* doc, bool negative, QString before, QString after)
        : DocumentCommand(doc, negative ? QObject::tr("Edit negative prompt") : QObject::tr("Edit prompt")),
          negative_(negative), before_(std::move(before)), after_(std::move(after)) {}
    void undo() override { set(before_); }
    void redo() override { set(after_); }
    int id() const override { return negative_ ? kMergeNegative : kMergePrompt; }
    bool mergeWith(const QUndoCommand* other) override;

private:
    void set(const QString& s) {
        (negative_ ? state().negative_prompt : state().prompt) = s;
        notify(Document::Layer::Prompts);
    }
    bool negative_;
    QString before_, after_;
};

class SettingsCommand : public DocumentCommand {
public:
    SettingsCommand(Document* doc, GenerationSettings before, GenerationSettings after, QString field)
        : DocumentCommand(doc, QObject::tr("Set %1").arg(field)), before_(std::move(before)),
          after_(std::move(after)), field_(std::move(field)) {}
    void undo() override { set(before_); }
    void redo() override { set(after_); }
    int id() const override { return kMergeSettings; }
    bool mergeWith(const QUndoCommand* other) override;

private:
    void set(const GenerationSettings& s) {
        state().settings = s;
        notify(Document::Layer::Settings);
    }
    GenerationSettings before_, after_;
    QString field_;
};

}  // namespace dit::studio
