#include "studio/control/pose.h"

#include <utility>

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonParseError>
#include <QSaveFile>
#include <cmath>

#include "engine/error.h"

namespace dit::studio {
namespace {

const char* kJointNames[kPoseBodyPoints] = {
    "nose", "neck", "right shoulder", "right elbow", "right wrist", "left shoulder",
    "left elbow", "left wrist", "right hip", "right knee", "right ankle", "left hip",
    "left knee", "left ankle", "right eye", "left eye", "right ear", "left ear"};

[[noreturn]] void fail(const QString& source, const QString& field, const QString& why) {
    throw Error((source + ": " + field + ": " + why).toStdString());
}

// Reads `[x, y, c] * count` from `key` of a person; an absent, null or empty array means "none"
// for the optional parts (hands, face).
std::vector<PosePoint> read_points(const QJsonObject& person, const QString& key, int count,
                                   bool required, const QString& source, const QString& where,
                                   QSize canvas, bool body) {
    const QString field = where + "." + key;
    const QJsonValue v = person.value(key);
    if (v.isUndefined() || v.isNull()) {
        if (required) fail(source, field, "missing");
        return {};
    }
    if (!v.isArray()) fail(source, field, "expected an array of numbers [x, y, c, ...]");
    const QJsonArray a = v.toArray();
    if (a.isEmpty() && !required) return {};
    if (a.size() != 3 * count)
        fail(source, field, QString("expected %1 numbers (x, y, c for %2 keypoints), got %3")
                                .arg(3 * count).arg(count).arg(a.size()));
    std::vector<PosePoint> out(count);
    for (int i = 0; i < count; ++i) {
        const QString point = QString("%1[%2]%3").arg(field).arg(i).arg(
            body ? QString(" (%1)").arg(kJointNames[i]) : QString());
        double xyc[3];
        for (int k = 0; k < 3; ++k) {
            const QJsonValue n = a[3 * i + k];
            const char* axis = k == 0 ? ".x" : k == 1 ? ".y" : ".c";
            if (!n.isDouble()) fail(source, point + axis, "'" + QJsonDocument(QJsonArray{n}).toJson(QJsonDocument::Compact).mid(1).chopped(1) + "' is not a number");
            xyc[k] = n.toDouble();
            if (!std::isfinite(xyc[k])) fail(source, point + axis, "not a finite number");
        }
        if (xyc[2] < 0) fail(source, point + ".c", QString("confidence %1 is negative").arg(xyc[2]));
        if (xyc[2] > 0 && canvas.isValid() &&
            (xyc[0] < 0 || xyc[1] < 0 || xyc[0] > canvas.width() || xyc[1] > canvas.height()))
            fail(source, point, QString("(%1, %2) is outside the %3x%4 canvas")
                                    .arg(xyc[0]).arg(xyc[1]).arg(canvas.width()).arg(canvas.height()));
        out[i] = {float(xyc[0]), float(xyc[1]), float(xyc[2])};
    }
    return out;
}

QJsonArray write_points(const PosePoint* p, size_t n) {
    QJsonArray a;
    for (size_t i = 0; i < n; ++i) {
        a.append(double(p[i].x));
        a.append(double(p[i].y));
        a.append(double(p[i].confidence));
    }
    return a;
}

int canvas_dim(const QJsonObject& root, const char* key, const QString& source) {
    const QJsonValue v = root.value(key);
    if (v.isUndefined() || v.isNull()) return -1;
    const double d = v.toDouble(-1);
    if (!v.isDouble() || d < 1 || d > 65536 || d != std::floor(d))
        fail(source, key, "expected a positive whole number of pixels");
    return int(d);
}

}  // namespace

const char* body_joint_name(int joint) {
    return joint >= 0 && joint < kPoseBodyPoints ? kJointNames[joint] : "?";
}

Pose pose_from_json(const QByteArray& json, const QString& source, QSize fallback_canvas) {
    QJsonParseError perr;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &perr);
    if (perr.error != QJsonParseError::NoError)
        throw Error(QString("%1: not valid JSON at offset %2: %3")
                        .arg(source).arg(perr.offset).arg(perr.errorString()).toStdString());
    if (!doc.isObject()) fail(source, "(root)", "expected an object with \"people\"");
    const QJsonObject root = doc.object();

    Pose pose;
    const int w = canvas_dim(root, "canvas_width", source);
    const int h = canvas_dim(root, "canvas_height", source);
    if ((w < 0) != (h < 0)) fail(source, w < 0 ? "canvas_width" : "canvas_height", "missing (the other one is given)");
    pose.canvas = w > 0 ? QSize(w, h) : fallback_canvas;

    const QJsonValue people = root.value("people");
    if (!people.isArray()) fail(source, "people", people.isUndefined() ? "missing" : "expected an array");
    const QJsonArray list = people.toArray();
    for (int i = 0; i < list.size(); ++i) {
        const QString where = QString("people[%1]").arg(i);
        if (!list[i].isObject()) fail(source, where, "expected an object");
        const QJsonObject o = list[i].toObject();
        PosePerson p;
        const auto body = read_points(o, "pose_keypoints_2d", kPoseBodyPoints, true, source, where, pose.canvas, true);
        std::copy(body.begin(), body.end(), p.body.begin());
        p.hand_left = read_points(o, "hand_left_keypoints_2d", kPoseHandPoints, false, source, where, pose.canvas, false);
        p.hand_right = read_points(o, "hand_right_keypoints_2d", kPoseHandPoints, false, source, where, pose.canvas, false);
        p.face = read_points(o, "face_keypoints_2d", kPoseFacePoints, false, source, where, pose.canvas, false);
        pose.people.push_back(std::move(p));
    }
    return pose;
}

Pose read_pose_json(const QString& path, QSize fallback_canvas) {
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) throw Error((path + ": cannot read: " + f.errorString()).toStdString());
    return pose_from_json(f.readAll(), path, fallback_canvas);
}

QByteArray pose_to_json(const Pose& pose) {
    QJsonArray people;
    for (const PosePerson& p : pose.people) {
        QJsonObject o;
        o["person_id"] = QJsonArray{-1};
        o["pose_keypoints_2d"] = write_points(p.body.data(), p.body.size());
        o["face_keypoints_2d"] = write_points(p.face.data(), p.face.size());
        o["hand_left_keypoints_2d"] = write_points(p.hand_left.data(), p.hand_left.size());
        o["hand_right_keypoints_2d"] = write_points(p.hand_right.data(), p.hand_right.size());
        people.append(o);
    }
    QJsonObject root{{"version", 1.3}, {"people", people}};
    if (pose.canvas.isValid()) {
        root["canvas_width"] = pose.canvas.width();
        root["canvas_height"] = pose.canvas.height();
    }
    return QJsonDocument(root).toJson(QJsonDocument::Indented);
}

void write_pose_json(const Pose& pose, const QString& path) {
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly)) throw Error((path + ": cannot write: " + f.errorString()).toStdString());
    f.write(pose_to_json(pose));
    if (!f.commit()) throw Error((path + ": cannot write: " + f.errorString()).toStdString());
}

Pose scaled_pose(const Pose& pose, QSize canvas) {
    if (!pose.canvas.isValid() || !canvas.isValid() || pose.canvas == canvas) {
        Pose out = pose;
        out.canvas = canvas;
        return out;
    }
    const float sx = float(canvas.width()) / pose.canvas.width();
    const float sy = float(canvas.height()) / pose.canvas.height();
    Pose out = pose;
    out.canvas = canvas;
    auto scale = [&](PosePoint& q) { q.x *= sx; q.y *= sy; };
    for (PosePerson& p : out.people) {
        for (PosePoint& q : p.body) scale(q);
        for (PosePoint& q : p.hand_left) scale(q);
        for (PosePoint& q : p.hand_right) scale(q);
        for (PosePoint& q : p.face) scale(q);
    }
    return out;
}

const PosePoint* pose_point(const PosePerson& person, int index) {
    auto in = [&](const std::vector<PosePoint>& part, int base) -> const PosePoint* {
        const int k = index - base;
        return k < int(part.size()) ? &part[size_t(k)] : nullptr;
    };
    if (index < 0 || index >= kPosePointCount) return nullptr;
    if (index < kPoseLeftHandBase) return &person.body[size_t(index)];
    if (index < kPoseRightHandBase) return in(person.hand_left, kPoseLeftHandBase);
    if (index < kPoseFaceBase) return in(person.hand_right, kPoseRightHandBase);
    return in(person.face, kPoseFaceBase);
}

PosePoint* pose_point(PosePerson& person, int index) {
    return const_cast<PosePoint*>(pose_point(std::as_const(person), index));
}

}  // namespace dit::studio
