#include "studio/document/document.h"

#include <QRandomGenerator>
#include <algorithm>
#include <cstring>

#include "engine/error.h"
#include "studio/control/pose_renderer.h"
#include "studio/document/document_commands.h"
#include "studio/document/mask_ops.h"
#include "studio/result_png.h"

namespace dit::studio {

namespace {

// Layers are scaled smoothly to the request's size: masks are soft-edged anyway, and the
// image must not alias.
QImage at_size(const QImage& img, QSize size) {
    return img.size() == size ? img : img.scaled(size, Qt::IgnoreAspectRatio, Qt::SmoothTransformation);
}

dit::Mask to_mask(const QImage& layer, QSize size) {
    const QImage g = at_size(layer, size).convertToFormat(QImage::Format_Grayscale8);
    dit::Mask m;
    m.width = g.width();
    m.height = g.height();
    m.value.resize(size_t(m.width) * size_t(m.height));
    for (int y = 0; y < m.height; ++y)
        std::memcpy(m.value.data() + size_t(y) * size_t(m.width), g.constScanLine(y), size_t(m.width));
    return m;
}

}  // namespace

QImage blank_gray(QSize size) {
    QImage img(size, QImage::Format_Grayscale8);
    img.fill(0);
    return img;
}

DocumentState DocumentState::blank(QSize canvas) {
    DocumentState s;
    s.canvas = canvas;
    s.mask = blank_gray(canvas);
    s.edges = blank_gray(canvas);
    s.settings.width = canvas.width();
    s.settings.height = canvas.height();
    return s;
}

Document::Document(QSize canvas, QObject* parent) : Document(DocumentState::blank(canvas), parent) {}

void settle_layers(DocumentState& s) {
    if (s.layers.empty() && !s.image.isNull()) {
        s.layers.push_back(make_image_layer(s.next_layer_id++, QObject::tr("Background"), s.image, s.canvas));
        s.current_layer = s.layers.back().id;
    }
    if (!find_layer(s, s.current_layer)) s.current_layer = s.layers.empty() ? 0 : s.layers.back().id;
    for (const ImageLayer& l : s.layers) s.next_layer_id = std::max(s.next_layer_id, l.id + 1);
    s.image = composite_layers(s.layers, s.canvas);
}

void Document::changeCanvas(DocumentState after, const QString& text) {
    sealMerging();
    settle_layers(after);
    undo_.push(new CanvasCommand(this, state_, std::move(after), text));
    sealMerging();
}

const ImageLayer* find_layer(const DocumentState& s, quint32 id) {
    for (const ImageLayer& l : s.layers)
        if (l.id == id) return &l;
    return nullptr;
}

Document::Document(DocumentState state, QObject* parent) : QObject(parent), state_(std::move(state)) {
    settle_layers(state_);
    connect(&undo_, &QUndoStack::cleanChanged, this, [this] { emit modifiedChanged(isModified()); });
}

void Document::markSaved() {
    unsaved_results_ = 0;
    undo_.setClean();
    emit modifiedChanged(false);
}

void Document::markUnsaved(int unsaved_results) {
    unsaved_results_ = unsaved_results < 0 ? int(state_.results.size()) : unsaved_results;
    undo_.resetClean();
    emit modifiedChanged(true);
}

void Document::addResult(GalleryItem item) {
    if (item.thumbnail.isNull()) item.thumbnail = make_thumbnail(item.image);
    state_.results.push_back(std::move(item));
    ++unsaved_results_;
    emit layerChanged(Layer::Results, {}, 0);
    emit modifiedChanged(true);
}

void Document::removeResult(int index) {
    if (index < 0 || index >= int(state_.results.size())) return;
    state_.results.erase(state_.results.begin() + index);
    // Removing one is a change a saved project does not have yet.
    unsaved_results_ = std::max(unsaved_results_, 1);
    emit layerChanged(Layer::Results, {}, 0);
    emit modifiedChanged(true);
}

const Region* Document::region(quint32 id) const {
    for (const auto& r : state_.regions)
        if (r.id == id) return &r;
    return nullptr;
}

QImage& Document::layer(PaintTarget t) {
    switch (t.kind) {
        case PaintTarget::Mask: return state_.mask;
        case PaintTarget::Edges: return state_.edges;
        case PaintTarget::Region:
            for (auto& r : state_.regions)
                if (r.id == t.region_id) return r.mask;
            throw Error("region " + std::to_string(t.region_id) + " does not exist");
        case PaintTarget::Image: return need_layer(t.layer_id, state_.layers).pixels;
    }
    throw Error("unknown paint target");
}

namespace {

void check_canvas(const QImage& image, QSize canvas) {
    if (!image.isNull() && image.size() != canvas)
        throw Error(QString("image is %1x%2 but the canvas is %3x%4")
                        .arg(image.width()).arg(image.height())
                        .arg(canvas.width()).arg(canvas.height()).toStdString());
}

}  // namespace

void Document::setImage(const QImage& image) {
    check_canvas(image, state_.canvas);
    std::vector<ImageLayer> after;
    quint32 current = 0;
    if (!image.isNull()) {
        after.push_back(make_image_layer(state_.next_layer_id, tr("Background"), image, state_.canvas));
        current = after.back().id;
    }
    push_layers(std::move(after), current, tr("Set image"));
}

ImageLayer& Document::need_layer(quint32 id, std::vector<ImageLayer>& in) const {
    for (ImageLayer& l : in)
        if (l.id == id) return l;
    throw Error("image layer " + std::to_string(id) + " does not exist");
}

int Document::imageLayerIndex(quint32 id) const {
    for (size_t i = 0; i < state_.layers.size(); ++i)
        if (state_.layers[i].id == id) return int(i);
    return -1;
}

void Document::push_layers(std::vector<ImageLayer> after, quint32 current, const QString& text, quint32 merge_layer) {
    LayerStackCommand::Stack before{state_.layers, state_.current_layer, state_.next_layer_id};
    quint32 next = state_.next_layer_id;
    for (const ImageLayer& l : after) next = std::max(next, l.id + 1);
    if (!merge_layer) sealMerging();
    undo_.push(new LayerStackCommand(this, std::move(before), {std::move(after), current, next}, text, merge_layer));
}

void Document::setCurrentLayer(quint32 id) {
    if (id == state_.current_layer || !imageLayer(id)) return;
    state_.current_layer = id;
    emit layerChanged(Layer::ImageLayers, {}, 0);
}

quint32 Document::addImageLayer(const QString& name, const QImage& pixels) {
    check_canvas(pixels, state_.canvas);
    std::vector<ImageLayer> after = state_.layers;
    const int at = imageLayerIndex(state_.current_layer) + 1;  // the top when none is current
    const quint32 id = state_.next_layer_id;
    after.insert(after.begin() + (at > 0 ? at : int(after.size())), make_image_layer(id, name, pixels, state_.canvas));
    push_layers(std::move(after), id, tr("Add layer"));
    return id;
}

quint32 Document::duplicateImageLayer(quint32 id) {
    std::vector<ImageLayer> after = state_.layers;
    ImageLayer copy = need_layer(id, after);
    copy.id = state_.next_layer_id;
    copy.name = tr("%1 copy").arg(copy.name);
    after.insert(after.begin() + imageLayerIndex(id) + 1, copy);
    push_layers(std::move(after), copy.id, tr("Duplicate layer"));
    return copy.id;
}

void Document::removeImageLayer(quint32 id) {
    std::vector<ImageLayer> after = state_.layers;
    need_layer(id, after);
    const int at = imageLayerIndex(id);
    after.erase(after.begin() + at);
    // The layer below becomes current, as in Krita; the new bottom when it was the bottom.
    const quint32 current = after.empty() ? 0 : after[size_t(std::max(0, at - 1))].id;
    push_layers(std::move(after), current, tr("Delete layer"));
}

void Document::renameImageLayer(quint32 id, const QString& name) {
    std::vector<ImageLayer> after = state_.layers;
    ImageLayer& l = need_layer(id, after);
    if (l.name == name) return;
    l.name = name;
    push_layers(std::move(after), state_.current_layer, tr("Rename layer"));
}

void Document::moveImageLayer(quint32 id, int to_index) {
    std::vector<ImageLayer> after = state_.layers;
    need_layer(id, after);
    const int from = imageLayerIndex(id);
    to_index = std::clamp(to_index, 0, int(after.size()) - 1);
    if (from == to_index) return;
    ImageLayer moved = after[size_t(from)];
    after.erase(after.begin() + from);
    after.insert(after.begin() + to_index, std::move(moved));
    push_layers(std::move(after), state_.current_layer, tr("Move layer"));
}

void Document::setImageLayerVisible(quint32 id, bool visible) {
    std::vector<ImageLayer> after = state_.layers;
    ImageLayer& l = need_layer(id, after);
    if (l.visible == visible) return;
    l.visible = visible;
    push_layers(std::move(after), state_.current_layer, visible ? tr("Show layer") : tr("Hide layer"));
}

void Document::setImageLayerOpacity(quint32 id, double opacity) {
    std::vector<ImageLayer> after = state_.layers;
    ImageLayer& l = need_layer(id, after);
    opacity = std::clamp(opacity, 0.0, 1.0);
    if (l.opacity == opacity) return;
    l.opacity = opacity;
    push_layers(std::move(after), state_.current_layer, tr("Layer opacity"), id);
}

void Document::setImageLayerBlend(quint32 id, BlendMode blend) {
    std::vector<ImageLayer> after = state_.layers;
    ImageLayer& l = need_layer(id, after);
    if (l.blend == blend) return;
    l.blend = blend;
    push_layers(std::move(after), state_.current_layer, tr("Layer blend mode"));
}

void Document::placeImage(const QImage& image, bool as_new_layer, const QString& name) {
    check_canvas(image, state_.canvas);
    if (image.isNull()) throw Error("there is no picture to place");
    if (as_new_layer || !imageLayer(state_.current_layer)) {
        addImageLayer(name, image);
        return;
    }
    std::vector<ImageLayer> after = state_.layers;
    need_layer(state_.current_layer, after).pixels = to_layer_format(image);
    push_layers(std::move(after), state_.current_layer, tr("Replace layer"));
}

QImage& Document::beginStroke(PaintTarget target) {
    QImage& l = layer(target);
    stroke_ = target;
    stroke_before_ = l;  // shares until the brush writes; then the layer detaches from it
    l.detach();
    return l;
}

void Document::strokeUpdated(QRect rect) {
    if (!stroke_) return;
    if (stroke_->kind == PaintTarget::Image) {
        if (rect.isEmpty()) return;
        composite_layers(state_.layers, state_.image, rect);
        emit layerChanged(Layer::Image, rect, 0);
        return;
    }
    const Layer l = stroke_->kind == PaintTarget::Mask    ? Layer::Mask
                    : stroke_->kind == PaintTarget::Edges ? Layer::Edges
                                                          : Layer::Region;
    emit layerChanged(l, rect, stroke_->region_id);
}

void Document::endStroke(QRect dirty, const QString& text) {
    if (!stroke_) return;
    const PaintTarget t = *stroke_;
    stroke_.reset();
    QImage& l = layer(t);
    dirty = dirty.intersected(l.rect());
    if (!dirty.isEmpty())
        undo_.push(new PaintPatchCommand(this, t, dirty.topLeft(), stroke_before_.copy(dirty), l.copy(dirty), text));
    stroke_before_ = QImage();
}

void Document::paintPatch(PaintTarget target, QPoint at, const QImage& before, const QImage& after,
                          const QString& text) {
    if (before.size() != after.size() || !layer(target).rect().contains(QRect(at, after.size())))
        throw Error("paint patch does not fit the layer");
    const QImage::Format f = target.kind == PaintTarget::Image ? QImage::Format_RGBA8888 : QImage::Format_Grayscale8;
    undo_.push(new PaintPatchCommand(this, target, at, before.convertToFormat(f), after.convertToFormat(f), text));
}

void Document::push_mask_op(QImage after, const QString& text) {
    undo_.push(new PaintPatchCommand(this, {PaintTarget::Mask}, {0, 0}, state_.mask, std::move(after), text));
}

void Document::fillMask() {
    QImage m = blank_gray(state_.canvas);
    m.fill(255);
    push_mask_op(m, tr("Fill mask"));
}
void Document::clearMask() { push_mask_op(blank_gray(state_.canvas), tr("Clear mask")); }
void Document::invertMask() { push_mask_op(invert_mask(state_.mask), tr("Invert mask")); }
void Document::growMask(int px) { push_mask_op(grow_mask(state_.mask, px), tr("Grow mask %1 px").arg(px)); }
void Document::shrinkMask(int px) { push_mask_op(shrink_mask(state_.mask, px), tr("Shrink mask %1 px").arg(px)); }
void Document::featherMask(int px) { push_mask_op(feather_mask(state_.mask, px), tr("Feather mask %1 px").arg(px)); }

bool Document::hasSelection() const { return !state_.selection.isNull() && any_painted(state_.selection); }

void Document::setSelection(const QImage& selection, const QString& text) {
    QImage sel = selection.isNull() ? QImage() : selection.convertToFormat(QImage::Format_Grayscale8);
    if (!sel.isNull() && sel.size() != state_.canvas) throw Error("selection does not fit the canvas");
    if (!sel.isNull() && !any_painted(sel)) sel = QImage();  // an empty selection is none
    if (sel == state_.selection) return;
    sealMerging();
    undo_.push(new SelectionCommand(this, state_.selection, std::move(sel), text));
}

void Document::selectAll() {
    QImage all = blank_gray(state_.canvas);
    all.fill(255);
    setSelection(all, tr("Select all"));
}
void Document::selectNone() { setSelection({}, tr("Select none")); }
void Document::invertSelection() {
    setSelection(invert_mask(state_.selection.isNull() ? blank_gray(state_.canvas) : state_.selection), tr("Invert selection"));
}
void Document::featherSelection(int px) {
    if (!state_.selection.isNull()) setSelection(feather_mask(state_.selection, px), tr("Feather selection %1 px").arg(px));
}
void Document::selectionToMask() {
    push_mask_op(state_.selection.isNull() ? blank_gray(state_.canvas) : state_.selection, tr("Selection to mask"));
}
void Document::maskToSelection() { setSelection(state_.mask, tr("Mask to selection")); }

static void check_joint(const DocumentState& s, int person, int joint) {
    if (person < 0 || person >= int(s.people.size()))
        throw Error("person " + std::to_string(person) + " does not exist");
    if (!pose_point(s.people[person], joint))
        throw Error("person " + std::to_string(person) + " has no point " + std::to_string(joint));
}

void Document::moveJoint(int person, int joint, QPointF pos) {
    check_joint(state_, person, joint);
    const Keypoint before = *pose_point(state_.people[person], joint);
    Keypoint after = before;
    after.x = float(pos.x());
    after.y = float(pos.y());
    undo_.push(new JointCommand(this, person, joint, before, after, tr("Move joint")));
}

void Document::setJointVisible(int person, int joint, bool visible) {
    check_joint(state_, person, joint);
    const Keypoint before = *pose_point(state_.people[person], joint);
    Keypoint after = before;
    // Restoring gives full confidence: the detector's original value is not worth a field.
    after.confidence = visible ? 1.f : 0.f;
    auto* cmd = new JointCommand(this, person, joint, before, after, visible ? tr("Restore joint") : tr("Delete joint"));
    cmd->sealed = true;  // a separate step, never folded into a drag
    sealMerging();
    undo_.push(cmd);
}

void Document::addPerson(const Person& person) {
    undo_.push(new PersonCommand(this, true, int(state_.people.size()), person));
}

void Document::setPerson(int index, const Person& after, const QString& text) {
    if (index < 0 || index >= int(state_.people.size()))
        throw Error("person " + std::to_string(index) + " does not exist");
    if (state_.people[index] == after) return;
    sealMerging();
    undo_.push(new PersonEditCommand(this, index, state_.people[index], after, text));
}

void Document::removePerson(int index) {
    if (index < 0 || index >= int(state_.people.size()))
        throw Error("person " + std::to_string(index) + " does not exist");
    undo_.push(new PersonCommand(this, false, index, state_.people[index]));
}

void Document::setPoseBackground(const QImage& image) {
    QImage rgb = image.isNull() ? QImage() : image.convertToFormat(QImage::Format_RGB888);
    if (rgb.isNull() && state_.pose_background.isNull()) return;
    sealMerging();
    undo_.push(new PoseBackgroundCommand(this, state_.pose_background, std::move(rgb)));
}

void Document::setPoseBackgroundOpacity(double opacity) {
    opacity = std::clamp(opacity, 0.0, 1.0);
    if (opacity != state_.pose_background_opacity)
        undo_.push(new PoseBackgroundOpacityCommand(this, state_.pose_background_opacity, opacity));
}

quint32 Document::addRegion(const QString& prompt, const QColor& colour) {
    Region r{state_.next_region_id++, prompt, colour, blank_gray(state_.canvas)};
    const quint32 id = r.id;
    undo_.push(new RegionCommand(this, true, int(state_.regions.size()), std::move(r)));
    return id;
}

void Document::removeRegion(quint32 id) {
    for (size_t i = 0; i < state_.regions.size(); ++i)
        if (state_.regions[i].id == id) {
            undo_.push(new RegionCommand(this, false, int(i), state_.regions[i]));
            return;
        }
    throw Error("region " + std::to_string(id) + " does not exist");
}

void Document::editRegion(quint32 id, const QString& prompt, const QColor& colour) {
    const Region* r = region(id);
    if (!r) throw Error("region " + std::to_string(id) + " does not exist");
    undo_.push(new EditRegionCommand(this, id, r->prompt, r->colour, prompt, colour));
}

void Document::setPrompt(const QString& text) {
    if (text != state_.prompt) undo_.push(new TextCommand(this, false, state_.prompt, text));
}

void Document::setNegativePrompt(const QString& text) {
    if (text != state_.negative_prompt) undo_.push(new TextCommand(this, true, state_.negative_prompt, text));
}

void Document::setSettings(const GenerationSettings& settings, const QString& field) {
    if (settings != state_.settings) undo_.push(new SettingsCommand(this, state_.settings, settings, field));
}

void Document::sealMerging() {
    if (undo_.index() == 0) return;
    // command() is const-only; the flag is ours, so casting away const is safe.
    if (auto* c = dynamic_cast<const DocumentCommand*>(undo_.command(undo_.index() - 1)))
        const_cast<DocumentCommand*>(c)->sealed = true;
}

dit::Request Document::toRequest(std::optional<quint64> seed) const { return request(state_.settings, state_.mask, seed); }

dit::Request Document::request(const GenerationSettings& s, const QImage& mask, std::optional<quint64> seed) const {
    const QSize size(s.width, s.height);
    dit::Request r;
    r.model_dir = s.model_dir.toStdString();
    r.prompt = state_.prompt.toStdString();
    r.negative_prompt = state_.negative_prompt.toStdString();
    r.width = s.width;
    r.height = s.height;
    r.steps = s.steps;
    r.sampler = s.sampler.toStdString();
    r.cfg = float(s.cfg);
    r.seed = seed ? *seed : s.random_seed ? QRandomGenerator::global()->generate64() : s.seed;
    r.strength = float(s.mode == GenerationMode::Inpaint ? s.denoise : s.strength);
    r.backend = s.backend.toStdString();
    r.low_vram = s.low_vram;
    r.cache = s.cache.toStdString();
    const std::string mode = mode_name(s.mode).toStdString();
    if (s.mode != GenerationMode::Txt2Img) {
        if (state_.image.isNull()) throw Error(mode + " needs an image layer: open or drop an image first");
        r.init_image = from_qimage(at_size(state_.image, size));
    }
    if (s.mode == GenerationMode::Inpaint) {
        if (!any_painted(mask))
            throw Error("inpaint needs a mask: paint where the image should change");
        r.mask = to_mask(mask, size);
        r.inpaint_mode = inpaint_mode_name(s.inpaint_mode).toStdString();
        r.lazy_refresh = s.lazy_refresh;
    }
    for (size_t i = 0; i < s.controls.size(); ++i) {
        const ControlSettings& c = s.controls[i];
        if (!c.enabled) continue;
        const std::string what = "control " + std::to_string(i + 1) + " (" + c.type.toStdString() + ")";
        dit::ControlInput in;
        in.type = c.type.toStdString();
        in.weight = float(c.weight);
        in.start = float(c.start);
        in.end = float(c.end);
        if (c.type == QLatin1String("pose")) {
            const bool anyone = std::any_of(state_.people.begin(), state_.people.end(), [](const Person& p) {
                return std::any_of(p.body.begin(), p.body.end(), [](const Keypoint& k) { return k.visible(); });
            });
            if (!anyone) throw Error(what + ": the pose layer has no person: add one, or turn the control off");
            Pose pose;
            pose.canvas = state_.canvas;
            pose.people = state_.people;
            in.image = from_qimage(render_pose_map(pose, size));
        } else if (c.type == QLatin1String("edges")) {
            if (!any_painted(state_.edges))
                throw Error(what + ": the edge layer is empty: detect or draw edges, or turn the control off");
            in.image = from_qimage(at_size(state_.edges, size).convertToFormat(QImage::Format_RGB888));
        } else {
            throw Error(what + ": unknown control type");
        }
        r.controls.push_back(std::move(in));
    }
    // A region without a prompt or without painted pixels says nothing: it is left out.
    for (const Region& region : state_.regions) {
        if (region.prompt.trimmed().isEmpty() || !any_painted(region.mask)) continue;
        r.regions.push_back({region.prompt.toStdString(), to_mask(region.mask, size)});
    }
    return r;
}

dit::Request Document::toInpaintSelectionRequest(std::optional<quint64> seed) const {
    if (!hasSelection()) throw Error("inpaint selection: nothing is selected: select an area first");
    GenerationSettings s = state_.settings;  // the settings and the mask of this document stay as they are
    s.mode = GenerationMode::Inpaint;
    return request(s, state_.selection, seed);
}

dit::Request Document::toUpscaleRequest(QSize output, std::optional<quint64> seed) const {
    if (state_.image.isNull()) throw Error("upscale: there is no image: generate or open one first");
    GenerationSettings s = state_.settings;
    s.mode = GenerationMode::Txt2Img;
    s.width = output.width();
    s.height = output.height();
    dit::Request r = request(s, state_.mask, seed);
    r.init_image = from_qimage(state_.image);
    return r;
}

}  // namespace dit::studio
