#pragma once
// The document the studio edits: canvas size, image, mask, pose, edges, regions, prompts and
// generation settings (a DocumentState), with every edit an undo command on its QUndoStack.
// Edits go through these methods; reads through the const accessors.
#include <QObject>
#include <QPointF>
#include <QUndoStack>
#include <optional>

#include "engine/pipeline/engine.h"
#include "studio/document/document_state.h"

namespace dit::studio {

class DocumentCommand;

class Document : public QObject {
    Q_OBJECT
public:
    // Image: the composite's pixels changed (rect: where); ImageLayers: the stack itself (added,
    // removed, moved, renamed, shown, opacity, blend, the current layer).
    enum class Layer { Image, Mask, Edges, Region, Pose, Regions, Prompts, Settings, PoseBackground, Results, ImageLayers, Selection };
    Q_ENUM(Layer)

    // The layers a brush can paint on: the 8-bit control layers, or an image layer (RGBA).
    struct PaintTarget {
        enum Kind { Mask, Edges, Region, Image } kind = Mask;
        quint32 region_id = 0;  // for Region
        quint32 layer_id = 0;   // for Image
    };

    explicit Document(QSize canvas, QObject* parent = nullptr);
    explicit Document(DocumentState state, QObject* parent = nullptr);

    const DocumentState& state() const { return state_; }
    QSize canvasSize() const { return state_.canvas; }
    const QImage& image() const { return state_.image; }
    const QImage& mask() const { return state_.mask; }
    const QImage& edges() const { return state_.edges; }
    const std::vector<Person>& people() const { return state_.people; }
    const std::vector<Region>& regions() const { return state_.regions; }
    const Region* region(quint32 id) const;
    const QString& prompt() const { return state_.prompt; }
    const QString& negativePrompt() const { return state_.negative_prompt; }
    const GenerationSettings& settings() const { return state_.settings; }
    const std::vector<GalleryItem>& results() const { return state_.results; }
    QUndoStack* undoStack() { return &undo_; }
    // Edits since the last save, or results that no saved project holds yet.
    bool isModified() const { return !undo_.isClean() || unsaved_results_ > 0; }
    int unsavedResults() const { return unsaved_results_; }
    // The document was saved (or is the saved state, e.g. just opened): nothing is unsaved.
    void markSaved();
    // A restored autosave: everything counts as unsaved, results too.
    // `unsaved_results` of the results count as unsaved (-1: all of them).
    void markUnsaved(int unsaved_results = -1);

    // --- The picture as one layer: the whole stack replaced by `image` as "Background" (a null
    // image: no layers). One undo step; throws dit::Error if its size is not the canvas's.
    void setImage(const QImage& image);

    // --- The canvas's size. `after` is the whole document at its new size (resized_canvas,
    // extend_canvas); one undo step, whose before and after share their pixels with the
    // document, so it costs what the new size added. The results stay as they are whatever is
    // undone (a result is kept, not an edit). Emits canvasChanged(), not layerChanged(): every
    // view sizes itself anew.
    void changeCanvas(DocumentState after, const QString& text);

    // --- Image layers (studio/document/image_layers.h). Each edit is one undo step that restores
    // the whole stack and the selection; the pixels are shared, not copied, between steps.
    const std::vector<ImageLayer>& imageLayers() const { return state_.layers; }
    const ImageLayer* imageLayer(quint32 id) const { return find_layer(state_, id); }
    int imageLayerIndex(quint32 id) const;  // -1 when absent
    quint32 currentLayer() const { return state_.current_layer; }
    // The selection is not an edit (as in every editor): no undo step.
    void setCurrentLayer(quint32 id);
    // A new layer just above the current one (the top when none), made current. `pixels` null:
    // transparent. Returns its id. Throws dit::Error when the pixels are not the canvas's size.
    quint32 addImageLayer(const QString& name, const QImage& pixels = {});
    quint32 duplicateImageLayer(quint32 id);
    void removeImageLayer(quint32 id);
    void renameImageLayer(quint32 id, const QString& name);
    void moveImageLayer(quint32 id, int to_index);  // 0 = bottom
    void setImageLayerVisible(quint32 id, bool visible);
    // Consecutive changes of one layer's opacity merge until sealMerging() (a slider drag).
    void setImageLayerOpacity(quint32 id, double opacity);
    void setImageLayerBlend(quint32 id, BlendMode blend);
    // A result on the canvas: a new layer named `name` above the current one, or the current
    // layer's pixels replaced (a new layer when there is none). Its size must be the canvas's.
    void placeImage(const QImage& image, bool as_new_layer, const QString& name);

    // --- Painting. The brush writes straight into the layer for live feedback; endStroke()
    // records the changed rect's before/after as one command.
    QImage& beginStroke(PaintTarget target);
    void strokeUpdated(QRect rect);  // repaint notice while painting
    void endStroke(QRect dirty, const QString& text = tr("Paint"));
    // The same as one command, when before/after are at hand (e.g. from a tool or a test).
    void paintPatch(PaintTarget target, QPoint at, const QImage& before, const QImage& after,
                    const QString& text);

    // --- Whole-mask operations (one command each).
    void fillMask();
    void clearMask();
    void invertMask();
    void growMask(int px);
    void shrinkMask(int px);
    void featherMask(int px);

    // --- Selection (one undo step each). A null image selects nothing.
    const QImage& selection() const { return state_.selection; }
    bool hasSelection() const;
    void setSelection(const QImage& selection, const QString& text);
    void selectAll();
    void selectNone();
    void invertSelection();
    void featherSelection(int px);
    // The mask becomes the selection (replacing what was painted), and back.
    void selectionToMask();
    void maskToSelection();

    // --- Pose. Consecutive moves of one joint merge into one command until sealMerging().
    // `joint` is pose_point()'s flat index (body, then hands, then face: studio/control/pose.h),
    // so hand and face points drag, delete and undo exactly like body joints.
    void moveJoint(int person, int joint, QPointF pos);
    void setJointVisible(int person, int joint, bool visible);
    void addPerson(const Person& person);
    void removePerson(int index);
    // Replaces a whole person in one undo step (a skeleton or hand transform).
    void setPerson(int index, const Person& after, const QString& text);

    // --- Pose background (a picture to trace). A null image removes it. Consecutive opacity
    // changes merge into one command until sealMerging() (a slider drag).
    void setPoseBackground(const QImage& image);
    void setPoseBackgroundOpacity(double opacity);  // clamped to [0, 1]

    // --- Regions. Consecutive edits of one region's prompt merge (typing) until sealMerging().
    quint32 addRegion(const QString& prompt, const QColor& colour);
    void removeRegion(quint32 id);
    void editRegion(quint32 id, const QString& prompt, const QColor& colour);

    // --- Prompts and settings. Typing merges into one command until sealMerging(); so do
    // consecutive changes of the same settings field (a slider drag).
    void setPrompt(const QString& text);
    void setNegativePrompt(const QString& text);
    void setSettings(const GenerationSettings& settings, const QString& field);

    // --- Results. Not undo steps (a result is kept, not an edit); they make the document
    // modified until it is saved. Emit layerChanged(Results).
    void addResult(GalleryItem item);
    void removeResult(int index);

    // Ends the current merge run (focus left the field, the mouse was released).
    void sealMerging();

    // The engine request for the current state, at the settings' size (layers are scaled to
    // it). Random seeds draw a new seed. Inpaint sends the image and the mask layer; every
    // enabled control its map (pose: rendered from the pose layer; edges: the edge layer);
    // every region with a prompt and a painted mask a RegionPrompt. Throws dit::Error with
    // what to do when an input is missing (no image, an empty mask, no person, no edges).
    // Inpaint's strength is the settings' denoise, img2img's their strength. `seed`, when
    // given, is used whatever the settings say (live mode keeps one seed while the user edits).
    dit::Request toRequest(std::optional<quint64> seed = std::nullopt) const;
    // "Inpaint selection": the request an inpaint of the selection makes, whatever the mode
    // setting and the mask layer say (neither is touched): the selection is the request's mask.
    // Throws dit::Error when nothing is selected or there is no picture.
    dit::Request toInpaintSelectionRequest(std::optional<quint64> seed = std::nullopt) const;
    // The request an upscale to `output` starts from (GenerationRequest::upscale): the prompts,
    // regions and controls at the output's size, and the composite at the canvas's own size as
    // the init image (the worker enlarges it). Throws dit::Error when there is no picture.
    dit::Request toUpscaleRequest(QSize output, std::optional<quint64> seed = std::nullopt) const;

signals:
    // `rect` in canvas pixels; null means the whole layer. region_id for Layer::Region.
    void layerChanged(dit::studio::Document::Layer layer, QRect rect, quint32 region_id);
    // isModified() changed.
    void modifiedChanged(bool modified);
    // The canvas's size changed, and with it possibly every layer (changeCanvas, or its undo).
    void canvasChanged();

private:
    friend class DocumentCommand;
    QImage& layer(PaintTarget t);
    // The request for settings `s` (its size and mode) with `mask` as the inpaint mask.
    dit::Request request(const GenerationSettings& s, const QImage& mask, std::optional<quint64> seed) const;
    void push_mask_op(QImage after, const QString& text);
    // One undo step from the current stack to `after` (selection `current`); `merge_layer`
    // non-zero makes it an opacity change of that layer, which merges with the next one.
    void push_layers(std::vector<ImageLayer> after, quint32 current, const QString& text, quint32 merge_layer = 0);
    ImageLayer& need_layer(quint32 id, std::vector<ImageLayer>& in) const;

    DocumentState state_;
    QUndoStack undo_;
    std::optional<PaintTarget> stroke_;
    QImage stroke_before_;
    int unsaved_results_ = 0;
};

}  // namespace dit::studio
