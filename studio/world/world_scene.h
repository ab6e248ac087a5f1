#pragma once
// The procedural world the embedded model is trained on and measured in (docs/world.md): a
// background colour, 1-3 simple shapes on a 3x3 grid, and optionally one stick figure posed by
// the 18-keypoint skeleton. A scene is a pure function of its seed, so the training data, the
// quality harness and a user's `dit-cli world` agree scene for scene on every machine.
#include <QPainterPath>
#include <QPointF>
#include <QRectF>
#include <QRgb>
#include <QSize>
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "studio/control/pose.h"

namespace dit::studio {

enum class WorldShape { Circle, Square, Triangle, Star, Ring, Cross, Heart };
constexpr int kWorldShapes = 7;
const char* world_shape_name(WorldShape shape);  // "circle", ...

struct WorldColour {
    const char* name;  // "red", ...
    QRgb rgb;
};
// The palette, for objects and backgrounds alike.
const std::vector<WorldColour>& world_palette();
// Whether two palette colours are far enough apart for a shape to read (and give Canny edges)
// on the other: max channel difference >= 90 and RGB distance >= 110.
bool world_colours_contrast(int a, int b);

enum class WorldSize { Small, Large };
const char* world_size_name(WorldSize size);  // "small", "large"

// Grid cells 0..8 in reading order: row = cell / 3, column = cell % 3.
constexpr int kWorldCells = 9;
const char* world_cell_name(int cell);    // "top left", "top", ..., "center", ..., "bottom right"
const char* world_cell_phrase(int cell);  // "at the top left", "on the left", "at the center", ...
const char* world_column_phrase(int column);  // a person's: "on the left", "at the center", "on the right"

enum class WorldPose { Standing, ArmsRaised, ArmsOut, Waving, Kicking };
constexpr int kWorldPoses = 5;
const char* world_pose_name(WorldPose pose);    // "standing", "arms raised", ...
const char* world_pose_phrase(WorldPose pose);  // "standing", "with arms raised", "waving", ...

struct WorldObject {
    WorldShape shape = WorldShape::Circle;
    int colour = 0;  // palette index
    WorldSize size = WorldSize::Small;
    int cell = 0;
    QPointF centre;   // of the square the shape is drawn in
    double extent = 0;  // that square's side, pixels
    QRectF bbox;      // the shape's exact outline bounds
    QPointF probe;    // a point well inside the painted shape (the ring's band, not its hole)
};

struct WorldPerson {
    WorldPose pose = WorldPose::Standing;
    int column = 1;   // the grid column the figure stands in (it takes all three rows)
    int colour = 0;   // palette index of the figure's lines (black or white)
    PosePerson keypoints;  // all 18 body points visible, canvas pixels
    double line_width = 2;  // of the stick figure in the RGB image
    double head_radius = 4;
    QPointF head_centre;
    QRectF bbox;      // the figure's outline bounds, line width included
};

struct WorldScene {
    uint64_t seed = 0;
    QSize size;
    int background = 0;  // palette index
    std::vector<WorldObject> objects;  // in reading order of their cells
    std::optional<WorldPerson> person;

    // "a large red circle at the top left and a small blue square at the center on a yellow
    // background"; the person comes last: "... and a person waving on the right on a ...".
    // Unplaced leaves the positions out and joins with "and" ("a large red circle and a small
    // blue square and a person waving on a yellow background"): what a prompt says when a control
    // map says where.
    enum class Placement { Placed, Unplaced };
    std::string caption(Placement placement = Placement::Placed) const;
    Pose pose() const;  // the person as an OpenPose pose on this canvas (no people without one)
};

struct WorldOptions {
    int size = 128;               // square canvas, pixels (>= 32)
    double people_fraction = 0.3; // probability of a stick figure
};

// The outline of an object (fill: odd-even, so the ring has its hole); the renderer paints it
// and the layout's bbox is its bounds.
QPainterPath world_shape_path(WorldShape shape, QPointF centre, double extent);

// The seed of scene `index` of a world made with `base_seed` (a SplitMix64 mix of the two).
uint64_t world_scene_seed(uint64_t base_seed, uint64_t index);
// The scene of a seed; throws dit::Error for options out of range.
WorldScene make_world_scene(uint64_t seed, const WorldOptions& options = {});

}  // namespace dit::studio
