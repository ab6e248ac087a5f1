#pragma once
// The pose data model of the studio: people x 18 COCO/OpenPose body keypoints, with optional
// hands (21 points each) and face (70 points), in canvas pixels, and its OpenPose JSON form.
//
// OpenPose JSON (what OpenPose writes with --write_json, and what ControlNet tools exchange):
//   {"version": 1.3, "canvas_width": W, "canvas_height": H,
//    "people": [{"pose_keypoints_2d": [x, y, c] x 18,
//                "hand_left_keypoints_2d": [] or [x, y, c] x 21, "hand_right_keypoints_2d": ...,
//                "face_keypoints_2d": [] or [x, y, c] x 70}]}
// x, y are pixels of the canvas (origin top left); c is the detector's confidence, 0 for a point
// that was not found (its x, y are then ignored). A point is drawn iff c > 0.
//
// Reading is strict, because a silently misread pose steers a generation wrongly: every problem
// is a dit::Error naming the field (people[1].pose_keypoints_2d[4] (right wrist).x ...).
//  - arrays of the wrong length, non-numbers, NaN/inf and negative confidences are errors;
//  - out of range: a point with c > 0 must lie on the canvas, 0 <= x <= W and 0 <= y <= H
//    (the far edge is allowed: some tools write pixel centres, some corners). Anything else is
//    an error, never a silent clamp: such a file was made for another canvas size, and clamping
//    would bend its limbs. Points with c == 0 are not checked (OpenPose writes 0,0,0 or -1,-1,0).
//  - the canvas size comes from canvas_width/canvas_height; when the file has none, from the
//    caller's fallback; when neither exists, the range check is skipped.
#include <QByteArray>
#include <QSize>
#include <QString>
#include <array>
#include <vector>

namespace dit::studio {

// OpenPose BODY_18 (COCO) joint order.
enum BodyJoint {
    kNose, kNeck, kRightShoulder, kRightElbow, kRightWrist, kLeftShoulder, kLeftElbow, kLeftWrist,
    kRightHip, kRightKnee, kRightAnkle, kLeftHip, kLeftKnee, kLeftAnkle, kRightEye, kLeftEye,
    kRightEar, kLeftEar
};
constexpr int kPoseBodyPoints = 18;
constexpr int kPoseHandPoints = 21;
constexpr int kPoseFacePoints = 70;

// "nose", "neck", "right shoulder", ... for messages and captions.
const char* body_joint_name(int joint);

struct PosePoint {
    float x = 0, y = 0;
    float confidence = 0;  // > 0: present (drawn); 0: absent
    bool visible() const { return confidence > 0; }
    bool operator==(const PosePoint&) const = default;
};

struct PosePerson {
    std::array<PosePoint, kPoseBodyPoints> body{};
    std::vector<PosePoint> hand_left, hand_right;  // empty, or kPoseHandPoints
    std::vector<PosePoint> face;                   // empty, or kPoseFacePoints
    bool operator==(const PosePerson&) const = default;
};

// One flat index over a person's points, so an edit (a joint drag, an undo command) names any of
// them with one int: body 0..17, left hand 18..38, right hand 39..59, face 60..129.
constexpr int kPoseLeftHandBase = kPoseBodyPoints;
constexpr int kPoseRightHandBase = kPoseLeftHandBase + kPoseHandPoints;
constexpr int kPoseFaceBase = kPoseRightHandBase + kPoseHandPoints;
constexpr int kPosePointCount = kPoseFaceBase + kPoseFacePoints;
// nullptr when the index is out of range or names a hand/face the person does not have.
PosePoint* pose_point(PosePerson& person, int index);
const PosePoint* pose_point(const PosePerson& person, int index);

struct Pose {
    QSize canvas;  // canvas_width x canvas_height; invalid when unknown
    std::vector<PosePerson> people;
    bool operator==(const Pose&) const = default;
};

// Parses OpenPose JSON. `source` names the input in errors (a file name); `fallback_canvas` is
// used when the file has no canvas size. Throws dit::Error naming the field at fault.
Pose pose_from_json(const QByteArray& json, const QString& source = QStringLiteral("pose JSON"),
                    QSize fallback_canvas = {});
Pose read_pose_json(const QString& path, QSize fallback_canvas = {});

// OpenPose JSON (version 1.3, indented), with canvas_width/height when the canvas is known.
QByteArray pose_to_json(const Pose& pose);
void write_pose_json(const Pose& pose, const QString& path);  // atomic (QSaveFile)

// The same pose for another canvas size: every coordinate scaled by new/old per axis.
Pose scaled_pose(const Pose& pose, QSize canvas);

}  // namespace dit::studio
