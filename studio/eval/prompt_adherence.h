#pragma once
// Prompt adherence in the procedural world (docs/eval.md): for a scene's layout and an image
// made from its caption, is each requested object's colour, shape and rough position found, and
// is the background the requested one. Pure image analysis (OpenCV), deterministic, calibrated on
// the world's own renders (tests/studio/test_eval.cpp), so `dit-cli eval` scores any model.
#include <QImage>
#include <QPointF>
#include <QRect>
#include <optional>
#include <vector>

#include "studio/world/world_scene.h"

namespace dit::studio {

// A pixel farther than this (CIE76 Delta E) from every palette colour is "unclassified".
constexpr double kEvalMaxDeltaE = 30.0;

// Nearest world palette colour of an sRGB pixel (CIE76 in L*a*b*), or -1 when none is within
// kEvalMaxDeltaE.
int classify_palette_colour(QRgb rgb);

// Geometric features of one filled region (docs/eval.md gives their exact definitions).
struct ShapeFeatures {
    double area = 0;        // filled outer contour area, px^2 (holes not subtracted)
    double hole_ratio = 0;  // area of the holes / area
    double solidity = 0;    // area / convex hull area
    double extent = 0;      // area / bounding box area
    double circularity = 0; // 4 pi area / perimeter^2
    double top_width = 0;   // mean width of the top quarter of rows / widest row
    int vertices = 0;       // approxPolyDP(outer contour, 3% of the perimeter)
};
// mask: Format_Grayscale8 (or anything convertible), non-zero = the region; only its largest
// outer contour and that contour's holes are measured. Empty mask: all zero.
ShapeFeatures shape_features(const QImage& mask);
// The deterministic decision tree over the features (docs/eval.md); nullopt for an empty region.
std::optional<WorldShape> classify_shape(const ShapeFeatures& f);

struct ObjectVerdict {
    int cell = 0;
    int requested_colour = 0;
    WorldShape requested_shape = WorldShape::Circle;
    bool found = false;         // a region of one non-background colour, big enough, in the cell
    int colour = -1;            // the dominant non-background palette colour in the cell
    std::optional<WorldShape> shape;  // of that colour's region
    ShapeFeatures features;     // of that region, what `shape` was decided from
    QPointF centroid;           // of that region, image pixels
    QRect region;               // its bounding box
    bool colour_right = false, shape_right = false, position_right = false;
};

struct AdherenceResult {
    std::vector<ObjectVerdict> objects;  // the scene's objects, in order
    int background = -1;                 // the image's background palette colour (-1: none)
    bool background_right = false;
    int attributes_asked() const { return int(objects.size()) * 3 + 1; }
    int attributes_right() const;
};

// The image is scaled to the scene's size first when they differ. Objects only (a person is
// measured by pose_fidelity).
AdherenceResult prompt_adherence(const WorldScene& scene, const QImage& image);

// Sums over many scenes: per-attribute counts and the overall fraction of attributes right.
struct AdherenceTally {
    int objects = 0, scenes = 0;
    int colour = 0, shape = 0, position = 0, background = 0;
    void add(const AdherenceResult& r);
    double colour_accuracy() const { return objects ? double(colour) / objects : 0; }
    double shape_accuracy() const { return objects ? double(shape) / objects : 0; }
    double position_accuracy() const { return objects ? double(position) / objects : 0; }
    double background_accuracy() const { return scenes ? double(background) / scenes : 0; }
    int asked() const { return 3 * objects + scenes; }
    int right() const { return colour + shape + position + background; }
    double overall() const { return asked() ? double(right()) / asked() : 0; }
};

}  // namespace dit::studio
