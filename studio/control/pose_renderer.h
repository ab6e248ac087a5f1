#pragma once
// The pose control map, drawn the way ControlNet 1.1's OpenPose annotator draws it, so pose
// ControlNets trained on that annotator understand it. The one renderer of the project: the
// studio, dit-cli and the training data all call render_pose_map.
//
// Conventions (ControlNet-v1-1 annotator/openpose/util.py, all people at once):
//  - black canvas; body first, then hands, then faces;
//  - body: the 17 limbs below in this order, each a filled convex ellipse (OpenCV ellipse2Poly,
//    1 degree steps) along the limb, half-width `stickwidth`, in its limb colour; then the whole
//    canvas is scaled by 0.6 (so limbs read as 60% of their colour); then every joint a filled
//    circle of radius 4 in its joint colour (full strength);
//  - hands: the 20 bones as lines of thickness 2, bone k coloured HSV(k/20, 1, 1); joints blue
//    (0, 0, 255) circles of radius 4;
//  - face: white circles of radius 3;
//  - points with confidence 0 are skipped, and so is every limb or bone touching one.
// Sizes are the annotator's at 512 px (its detect resolution, the shorter side) and scale with
// min(width, height) / 512, at least 1 px.
#include <QImage>
#include <QSize>
#include <array>

#include "studio/control/pose.h"

namespace dit::studio {

// The 17 body limbs (joint pairs, BODY_18 indices) in OpenPose's drawing order; limb i and
// joint i share kOpenPoseColours[i].
constexpr std::array<std::array<int, 2>, 17> kOpenPoseLimbs = {{
    {1, 2}, {1, 5}, {2, 3}, {3, 4}, {5, 6}, {6, 7}, {1, 8}, {8, 9}, {9, 10},
    {1, 11}, {11, 12}, {12, 13}, {1, 0}, {0, 14}, {14, 16}, {0, 15}, {15, 17}}};
constexpr std::array<std::array<int, 3>, 18> kOpenPoseColours = {{
    {255, 0, 0}, {255, 85, 0}, {255, 170, 0}, {255, 255, 0}, {170, 255, 0}, {85, 255, 0},
    {0, 255, 0}, {0, 255, 85}, {0, 255, 170}, {0, 255, 255}, {0, 170, 255}, {0, 85, 255},
    {0, 0, 255}, {85, 0, 255}, {170, 0, 255}, {255, 0, 255}, {255, 0, 170}, {255, 0, 85}}};
// The annotator's limb shading: a limb's pixels are floor(colour * 0.6).
constexpr double kOpenPoseLimbShade = 0.6;

// The 20 hand bones (21-point hand: wrist 0, then 4 points per finger from the thumb).
constexpr std::array<std::array<int, 2>, 20> kOpenPoseHandBones = {{
    {0, 1}, {1, 2}, {2, 3}, {3, 4}, {0, 5}, {5, 6}, {6, 7}, {7, 8}, {0, 9}, {9, 10},
    {10, 11}, {11, 12}, {0, 13}, {13, 14}, {14, 15}, {15, 16}, {0, 17}, {17, 18}, {18, 19}, {19, 20}}};

struct PoseRenderOptions {
    bool body = true, hands = true, face = true;
    // Pixels per annotator pixel; 0 = min(width, height) / 512.
    double scale = 0;
};

// The pose drawn on a black `size` canvas, Format_RGB888. Coordinates are in pose.canvas pixels
// and are mapped onto `size` (unchanged when the canvas is unknown or equal).
QImage render_pose_map(const Pose& pose, QSize size, const PoseRenderOptions& options = {});

// Colour of hand bone k (0..19): HSV(k / 20, 1, 1) as 8-bit RGB.
std::array<int, 3> hand_bone_colour(int k);

}  // namespace dit::studio
