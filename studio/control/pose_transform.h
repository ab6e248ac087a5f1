#pragma once
// Whole-skeleton and hand transforms for the pose editor. Each maps every present point of the
// chosen part through one similarity about a pivot; absent points (confidence 0) move too, so a
// point restored later comes back where it belongs relative to the rest.
#include <QPointF>

#include "studio/control/pose.h"

namespace dit::studio {

// Which points a transform moves: the whole person (body, hands, face), or one hand.
enum class PosePart { Person, LeftHand, RightHand };

// The pivot a transform turns about: the neck for a person (the skeleton's root in BODY_18,
// so it stays put when scaling), the wrist (point 0) for a hand. Falls back to the centroid of
// the present points when that point is absent; {0,0} when the part has no points.
QPointF pose_pivot(const PosePerson& person, PosePart part);

PosePerson translated(const PosePerson& person, PosePart part, QPointF delta);
PosePerson scaled(const PosePerson& person, PosePart part, double factor);  // about the pivot
// Degrees, clockwise on screen (y points down), about the pivot.
PosePerson rotated(const PosePerson& person, PosePart part, double degrees);
// Mirrored left-right about the vertical line through the pivot. A mirrored person also swaps
// its left/right joints and hands, so the result is again a valid OpenPose skeleton facing the
// other way; a mirrored hand only flips its points.
PosePerson mirrored(const PosePerson& person, PosePart part);

}  // namespace dit::studio
