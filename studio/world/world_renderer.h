#pragma once
// Draws a world scene (world_scene.h) and everything that goes with it: the RGB image (QPainter,
// antialiased), its caption, its Canny edge map and OpenPose map (the studio's one renderer of
// each, studio/control), and the layout JSON: the ground truth `dit-cli eval` measures against.
#include <QByteArray>
#include <QImage>
#include <QJsonObject>
#include <string>

#include "studio/control/canny.h"
#include "studio/world/world_scene.h"

namespace dit::studio {

struct WorldRender {
    QImage image;  // Format_RGB888
    QImage edges;  // Format_Grayscale8, 255 = edge (canny_edges of `image`)
    QImage pose;   // Format_RGB888, the OpenPose map; all black without a person
    std::string caption;
};

// The RGB image: background, shapes, then the stick figure (lines with round caps, filled head).
QImage render_world_image(const WorldScene& scene);
WorldRender render_world(const WorldScene& scene, const CannyOptions& canny = {});

// {"caption", "caption_unplaced" (the caption without positions), "seed", "width", "height", "background": {"colour", "rgb"},
//  "objects": [{"shape", "colour", "rgb", "size", "cell", "row", "column", "centre": [x, y],
//               "bbox": [x, y, w, h], "probe": [x, y]}],
//  "person": null | {"pose", "column", "colour", "bbox": [x, y, w, h]},
//  "pose": OpenPose JSON of the person (no people without one)}   (docs/world.md)
QJsonObject world_layout(const WorldScene& scene);

}  // namespace dit::studio
