#include "studio/control/pose_transform.h"

#include <cmath>
#include <functional>
#include <numbers>
#include <utility>

namespace dit::studio {
namespace {

using PointMap = std::function<QPointF(QPointF)>;

void map_points(std::vector<PosePoint>& points, const PointMap& f) {
    for (PosePoint& p : points) {
        const QPointF q = f({p.x, p.y});
        p.x = float(q.x());
        p.y = float(q.y());
    }
}

PosePerson mapped(PosePerson person, PosePart part, const PointMap& f) {
    switch (part) {
    case PosePart::LeftHand: map_points(person.hand_left, f); break;
    case PosePart::RightHand: map_points(person.hand_right, f); break;
    case PosePart::Person:
        for (PosePoint& p : person.body) {
            const QPointF q = f({p.x, p.y});
            p.x = float(q.x());
            p.y = float(q.y());
        }
        map_points(person.hand_left, f);
        map_points(person.hand_right, f);
        map_points(person.face, f);
        break;
    }
    return person;
}

QPointF centroid(const std::vector<const PosePoint*>& points) {
    QPointF sum;
    int n = 0;
    for (const PosePoint* p : points)
        if (p->visible()) {
            sum += QPointF(p->x, p->y);
            ++n;
        }
    return n ? sum / n : QPointF();
}

}  // namespace

QPointF pose_pivot(const PosePerson& person, PosePart part) {
    std::vector<const PosePoint*> points;
    if (part == PosePart::Person) {
        if (person.body[kNeck].visible()) return {person.body[kNeck].x, person.body[kNeck].y};
        for (const PosePoint& p : person.body) points.push_back(&p);
        return centroid(points);
    }
    const auto& hand = part == PosePart::LeftHand ? person.hand_left : person.hand_right;
    if (!hand.empty() && hand[0].visible()) return {hand[0].x, hand[0].y};
    for (const PosePoint& p : hand) points.push_back(&p);
    return centroid(points);
}

PosePerson translated(const PosePerson& person, PosePart part, QPointF delta) {
    return mapped(person, part, [&](QPointF p) { return p + delta; });
}

PosePerson scaled(const PosePerson& person, PosePart part, double factor) {
    const QPointF c = pose_pivot(person, part);
    return mapped(person, part, [&](QPointF p) { return c + (p - c) * factor; });
}

PosePerson rotated(const PosePerson& person, PosePart part, double degrees) {
    const QPointF c = pose_pivot(person, part);
    const double a = degrees * std::numbers::pi / 180, cs = std::cos(a), sn = std::sin(a);
    return mapped(person, part, [&](QPointF p) {
        const QPointF d = p - c;
        return c + QPointF(d.x() * cs - d.y() * sn, d.x() * sn + d.y() * cs);
    });
}

PosePerson mirrored(const PosePerson& person, PosePart part) {
    const double cx = pose_pivot(person, part).x();
    PosePerson out = mapped(person, part, [&](QPointF p) { return QPointF(2 * cx - p.x(), p.y()); });
    if (part != PosePart::Person) return out;
    // BODY_18 left/right pairs; the face's 70 points keep their order (a known OpenPose limit:
    // its face indices are not mirrored by the annotators either).
    static constexpr std::pair<int, int> kPairs[] = {
        {kRightShoulder, kLeftShoulder}, {kRightElbow, kLeftElbow}, {kRightWrist, kLeftWrist},
        {kRightHip, kLeftHip}, {kRightKnee, kLeftKnee}, {kRightAnkle, kLeftAnkle},
        {kRightEye, kLeftEye}, {kRightEar, kLeftEar}};
    for (auto [r, l] : kPairs) std::swap(out.body[size_t(r)], out.body[size_t(l)]);
    std::swap(out.hand_left, out.hand_right);
    return out;
}

}  // namespace dit::studio
