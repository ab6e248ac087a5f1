#pragma once
// Control fidelity (docs/eval.md): how well an image follows a requested edge map (boundary F1
// with a pixel tolerance, edges found by the project's one Canny path) and a requested pose
// (the share of each limb of the skeleton drawn in the image as a stick-figure line).
#include <QImage>
#include <QRgb>
#include <vector>

#include "studio/control/canny.h"
#include "studio/control/pose.h"

namespace dit::studio {

struct EdgeScore {
    double precision = 0, recall = 0, f1 = 0;
    int found = 0, requested = 0;  // edge pixels in the output's map and in the requested map
};

// Both maps Format_Grayscale8 (or convertible) of one size, non-zero = edge. An output edge
// pixel is right when a requested edge pixel lies within `tolerance` px (Euclidean), and vice
// versa for recall. Both empty: F1 = 1; exactly one empty: 0. Throws dit::Error on size mismatch.
EdgeScore edge_map_f1(const QImage& output_edges, const QImage& requested_edges, double tolerance = 2.0);
// canny_edges(output, canny) against the requested map.
EdgeScore edge_fidelity(const QImage& output, const QImage& requested_edges, double tolerance = 2.0,
                        const CannyOptions& canny = {});

// The limbs pose_fidelity checks (BODY_18 joint pairs): upper arms, forearms, thighs, shins
// (drawn both by the world's stick figure and by OpenPose), and the torso from the neck to the
// middle of the hips (-1 below stands for that mid-hip point).
struct PoseLimb {
    int from, to;
    const char* name;
};
const std::vector<PoseLimb>& pose_fidelity_limbs();

struct PoseScore {
    std::vector<double> limb_hits;  // per limb of each person: share of its sample points hit
    double mean = 0;                // mean of limb_hits (0 with no limbs)
    int limbs_found = 0;            // limbs with >= 75% of their points hit
    // The hit rate of a random point: the share of pixels in the people's keypoint boxes (grown
    // by the radius) that have a figure pixel within the radius. A textured image scores high
    // on `mean` by chance; compare with this (a flat scene with a clean figure: well below 0.5).
    double chance = 0;
};

// For each visible limb of each person, samples points at 10%, ..., 90% of the segment (at least
// 9, one per 2 px of length) and counts a point as hit when a figure pixel lies within `radius`
// px (0: max(2, 2% of the shorter side)). A figure pixel is within half the figure-background
// RGB distance of `figure` (antialiased line centres pass, a blank background does not). The
// pose is in
// image pixels (scaled from pose.canvas when that is known and differs).
PoseScore pose_fidelity(const QImage& image, const Pose& pose, QRgb figure, QRgb background, double radius = 0);

}  // namespace dit::studio
