#include "studio/world/world_renderer.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QPainter>
#include <cmath>

#include "studio/control/pose_renderer.h"

namespace dit::studio {
namespace {

// Layout numbers to 0.01 px: exact enough for any measurement, and stable text.
double round2(double v) { return std::round(v * 100.0) / 100.0; }
QJsonArray point(QPointF p) { return {round2(p.x()), round2(p.y())}; }
QJsonArray rect(const QRectF& r) { return {round2(r.x()), round2(r.y()), round2(r.width()), round2(r.height())}; }
QString hex(QRgb c) { return QColor(c).name(QColor::HexRgb); }

void draw_person(QPainter& p, const WorldPerson& person) {
    const auto& k = person.keypoints.body;
    auto at = [&](int j) { return QPointF(k[j].x, k[j].y); };
    const QColor colour(world_palette()[person.colour].rgb);
    p.setPen(QPen(colour, person.line_width, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin));
    p.setBrush(Qt::NoBrush);
    const QPointF mid_hip = (at(kRightHip) + at(kLeftHip)) / 2;
    const int chains[][3] = {{kRightWrist, kRightElbow, kRightShoulder}, {kLeftWrist, kLeftElbow, kLeftShoulder},
                             {kRightAnkle, kRightKnee, kRightHip}, {kLeftAnkle, kLeftKnee, kLeftHip}};
    p.drawLine(at(kNeck), mid_hip);
    p.drawLine(at(kRightShoulder), at(kLeftShoulder));
    p.drawLine(at(kRightHip), at(kLeftHip));
    for (const auto& c : chains) {
        const QPointF pts[3] = {at(c[0]), at(c[1]), at(c[2])};
        p.drawPolyline(pts, 3);
    }
    p.setPen(Qt::NoPen);
    p.setBrush(colour);
    p.drawEllipse(person.head_centre, person.head_radius, person.head_radius);
}

}  // namespace

QImage render_world_image(const WorldScene& scene) {
    QImage img(scene.size, QImage::Format_RGB888);
    img.fill(QColor(world_palette()[scene.background].rgb));
    QPainter p(&img);
    p.setRenderHint(QPainter::Antialiasing);
    p.setPen(Qt::NoPen);
    for (const WorldObject& o : scene.objects) {
        p.setBrush(QColor(world_palette()[o.colour].rgb));
        p.drawPath(world_shape_path(o.shape, o.centre, o.extent));
    }
    if (scene.person) draw_person(p, *scene.person);
    p.end();
    return img;
}

WorldRender render_world(const WorldScene& scene, const CannyOptions& canny) {
    WorldRender r;
    r.image = render_world_image(scene);
    r.edges = canny_edges(r.image, canny);
    r.pose = render_pose_map(scene.pose(), scene.size);
    r.caption = scene.caption();
    return r;
}

QJsonObject world_layout(const WorldScene& scene) {
    const auto& palette = world_palette();
    QJsonArray objects;
    for (const WorldObject& o : scene.objects)
        objects.append(QJsonObject{{"shape", world_shape_name(o.shape)},
                                   {"colour", palette[o.colour].name},
                                   {"rgb", hex(palette[o.colour].rgb)},
                                   {"size", world_size_name(o.size)},
                                   {"cell", world_cell_name(o.cell)},
                                   {"row", o.cell / 3},
                                   {"column", o.cell % 3},
                                   {"centre", point(o.centre)},
                                   {"bbox", rect(o.bbox)},
                                   {"probe", point(o.probe)}});
    QJsonValue person = QJsonValue::Null;
    if (scene.person)
        person = QJsonObject{{"pose", world_pose_name(scene.person->pose)},
                             {"column", scene.person->column},
                             {"colour", palette[scene.person->colour].name},
                             {"bbox", rect(scene.person->bbox)}};
    return QJsonObject{
        {"caption", QString::fromStdString(scene.caption())},
        {"caption_unplaced", QString::fromStdString(scene.caption(WorldScene::Placement::Unplaced))},
        {"seed", QString::number(scene.seed)},  // a string: JSON numbers lose 64-bit precision
        {"width", scene.size.width()},
        {"height", scene.size.height()},
        {"background", QJsonObject{{"colour", palette[scene.background].name}, {"rgb", hex(palette[scene.background].rgb)}}},
        {"objects", objects},
        {"person", person},
        {"pose", QJsonDocument::fromJson(pose_to_json(scene.pose())).object()},
    };
}

}  // namespace dit::studio
