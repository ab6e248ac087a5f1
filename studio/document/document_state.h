#pragma once
// Everything a document holds, as one value: what a project file stores and loads, and what the
// undo commands edit. Layers are QImages (implicitly shared, so copies are cheap until written).
#include <QColor>
#include <QImage>
#include <QSize>
#include <QString>
#include <array>
#include <vector>

#include "studio/control/pose.h"
#include "studio/document/image_layers.h"
#include "studio/document/generation_settings.h"
#include "studio/gallery/gallery_item.h"

namespace dit::studio {

// A person of the pose layer is the studio's one pose model (body, hands, face, in canvas
// pixels), so import, editing, projects and undo all keep hands and face.
constexpr int kBodyKeypoints = kPoseBodyPoints;
using Person = PosePerson;
using Keypoint = PosePoint;

struct Region {
    quint32 id = 0;  // stable across add/remove, so undo commands can name it
    QString prompt;
    QColor colour;
    QImage mask;     // Format_Grayscale8, canvas size
};

struct DocumentState {
    QSize canvas;
    // The image layers, bottom first; `image` is their visible composite (Format_RGB888, canvas
    // size; null when there are no layers), kept up to date by the Document. A state built with
    // an image and no layers (an older project, a picture opened) gets it as its one layer.
    std::vector<ImageLayer> layers;
    quint32 current_layer = 0;  // the selected layer's id (0: none): painting and results go there
    quint32 next_layer_id = 1;
    QImage image;
    QImage mask;     // Format_Grayscale8: 255 = regenerate, soft edges in between
    QImage edges;    // Format_Grayscale8: 255 = edge
    // The selection (studio/document/selection.h): Format_Grayscale8, 255 = selected; null when
    // nothing is selected. Saved with the project (as GIMP's .xcf and Krita's .kra keep it), and
    // its changes undo.
    QImage selection;
    std::vector<Person> people;
    std::vector<Region> regions;
    QString prompt, negative_prompt;
    GenerationSettings settings;
    // A picture to trace poses from: drawn under the skeleton, fitted into the canvas (aspect
    // kept), never part of a generation. Format_RGB888 of any size; null when there is none.
    QImage pose_background;
    double pose_background_opacity = 0.5;  // 0..1
    quint32 next_region_id = 1;
    // The document's results, oldest first: saved with the project and in its autosave, so a
    // reopened project or a recovered crash shows them again.
    std::vector<GalleryItem> results;

    // An empty document: black mask and edges of the canvas size, no image.
    static DocumentState blank(QSize canvas);
};

// Makes `s.layers` and `s.image` agree: an image with no layers becomes the one layer
// "Background"; then the composite is computed from the layers. A current layer that does not
// exist becomes the top one.
void settle_layers(DocumentState& s);
const ImageLayer* find_layer(const DocumentState& s, quint32 id);

QImage blank_gray(QSize size);  // Format_Grayscale8, all 0

}  // namespace dit::studio
