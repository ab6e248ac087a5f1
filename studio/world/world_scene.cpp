#include "studio/world/world_scene.h"

#include <QTransform>
#include <algorithm>
#include <cmath>

#include "engine/error.h"

namespace dit::studio {
namespace {

// SplitMix64 (Steele et al. 2014): tiny, and the same numbers on every platform, unlike the
// standard library's distributions.
uint64_t splitmix64(uint64_t& state) {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

class Rng {
public:
    explicit Rng(uint64_t seed) : state_(seed) {}
    double uniform() { return double(splitmix64(state_) >> 11) * 0x1.0p-53; }  // [0, 1)
    double range(double lo, double hi) { return lo + (hi - lo) * uniform(); }
    int below(int n) { return int(uniform() * n); }  // [0, n)

private:
    uint64_t state_;
};

const std::vector<WorldColour> kPalette = {
    {"red", qRgb(220, 40, 40)},     {"green", qRgb(50, 170, 70)},  {"blue", qRgb(40, 80, 220)},
    {"yellow", qRgb(240, 210, 40)}, {"orange", qRgb(245, 140, 30)}, {"purple", qRgb(140, 60, 190)},
    {"pink", qRgb(240, 130, 190)},  {"brown", qRgb(130, 85, 45)},  {"white", qRgb(245, 245, 245)},
    {"black", qRgb(25, 25, 25)},    {"gray", qRgb(128, 128, 128)}};

const char* kShapeNames[kWorldShapes] = {"circle", "square", "triangle", "star", "ring", "cross", "heart"};
const char* kCellNames[kWorldCells] = {"top left", "top", "top right", "left", "center",
                                       "right", "bottom left", "bottom", "bottom right"};
const char* kCellPhrases[kWorldCells] = {"at the top left", "at the top", "at the top right",
                                         "on the left", "at the center", "on the right",
                                         "at the bottom left", "at the bottom", "at the bottom right"};
const char* kPoseNames[kWorldPoses] = {"standing", "arms raised", "arms out", "waving", "kicking"};
const char* kPosePhrases[kWorldPoses] = {"standing", "with arms raised", "with arms out", "waving", "kicking"};

// Share of the canvas side taken by a shape's square; a grid cell is 1/3, so shapes in different
// cells never touch.
constexpr double kSmallExtent = 0.17, kLargeExtent = 0.25;

// --- The stick figure, in figure units (1 = a reference height) with the neck at the origin,
// facing the viewer: the person's right side is on the image's left (negative x).
struct Limbs {  // degrees from straight down, positive = away from the body's midline
    double upper_arm[2], forearm[2], thigh[2], shin[2];  // [0] right, [1] left
};
constexpr double kShoulderX = 0.11, kShoulderY = 0.01, kHipX = 0.07, kHipY = 0.33;
constexpr double kUpperArm = 0.16, kForearm = 0.15, kThigh = 0.23, kShin = 0.22;
constexpr double kHeadY = -0.115, kHeadRadius = 0.075, kLineWidth = 0.035;

Limbs pose_limbs(WorldPose pose) {
    switch (pose) {
        case WorldPose::Standing: return {{12, 12}, {8, 8}, {6, 6}, {2, 2}};
        case WorldPose::ArmsRaised: return {{155, 155}, {168, 168}, {6, 6}, {2, 2}};
        case WorldPose::ArmsOut: return {{90, 90}, {90, 90}, {8, 8}, {3, 3}};
        case WorldPose::Waving: return {{100, 12}, {168, 8}, {6, 6}, {2, 2}};
        case WorldPose::Kicking: return {{50, 50}, {65, 65}, {70, 3}, {82, 0}};
    }
    return {};
}

QPointF limb_end(QPointF from, double length, double degrees, int side) {
    const double a = degrees * M_PI / 180.0;
    const double sign = side == 0 ? -1.0 : 1.0;  // the right side grows towards -x
    return from + QPointF(sign * std::sin(a) * length, std::cos(a) * length);
}

// The 18 keypoints in figure units.
std::array<QPointF, kPoseBodyPoints> figure_points(const Limbs& l) {
    std::array<QPointF, kPoseBodyPoints> k;
    k[kNeck] = {0, 0};
    k[kNose] = {0, -0.10};
    k[kRightEye] = {-0.03, -0.125};
    k[kLeftEye] = {0.03, -0.125};
    k[kRightEar] = {-0.06, -0.11};
    k[kLeftEar] = {0.06, -0.11};
    const int shoulder[2] = {kRightShoulder, kLeftShoulder}, elbow[2] = {kRightElbow, kLeftElbow},
              wrist[2] = {kRightWrist, kLeftWrist}, hip[2] = {kRightHip, kLeftHip},
              knee[2] = {kRightKnee, kLeftKnee}, ankle[2] = {kRightAnkle, kLeftAnkle};
    for (int s = 0; s < 2; ++s) {
        const double x = s == 0 ? -1 : 1;
        k[shoulder[s]] = {x * kShoulderX, kShoulderY};
        k[elbow[s]] = limb_end(k[shoulder[s]], kUpperArm, l.upper_arm[s], s);
        k[wrist[s]] = limb_end(k[elbow[s]], kForearm, l.forearm[s], s);
        k[hip[s]] = {x * kHipX, kHipY};
        k[knee[s]] = limb_end(k[hip[s]], kThigh, l.thigh[s], s);
        k[ankle[s]] = limb_end(k[knee[s]], kShin, l.shin[s], s);
    }
    return k;
}

WorldPerson make_person(Rng& rng, int size, int background) {
    WorldPerson p;
    p.column = rng.below(3);
    p.pose = WorldPose(rng.below(kWorldPoses));
    // Black or white lines, whichever stands out more from the background.
    const int black = 9, white = 8;
    const QRgb bg = kPalette[background].rgb;
    const int luma = (qRed(bg) * 299 + qGreen(bg) * 587 + qBlue(bg) * 114) / 1000;
    p.colour = luma > 120 ? black : white;

    Limbs l = pose_limbs(p.pose);
    if (rng.uniform() < 0.5) {  // the mirrored pose: the other arm waves, the other leg kicks
        std::swap(l.upper_arm[0], l.upper_arm[1]);
        std::swap(l.forearm[0], l.forearm[1]);
        std::swap(l.thigh[0], l.thigh[1]);
        std::swap(l.shin[0], l.shin[1]);
    }
    for (double* a : {l.upper_arm, l.forearm, l.thigh, l.shin})
        for (int s = 0; s < 2; ++s) a[s] = std::max(0.0, a[s] + rng.range(-8, 8));
    const auto units = figure_points(l);

    // Outline bounds in figure units: the points, the head, half a line everywhere.
    // (By hand: QRectF::united ignores the empty rectangle of a single point.)
    double x0 = -kHeadRadius, x1 = kHeadRadius, y0 = kHeadY - kHeadRadius, y1 = kHeadY + kHeadRadius;
    for (const QPointF& q : units) {
        x0 = std::min(x0, q.x()), x1 = std::max(x1, q.x());
        y0 = std::min(y0, q.y()), y1 = std::max(y1, q.y());
    }
    const QRectF b = QRectF(QPointF(x0, y0), QPointF(x1, y1))
                         .adjusted(-kLineWidth / 2, -kLineWidth / 2, kLineWidth / 2, kLineWidth / 2);

    // Fit into the column (all three rows), keeping a margin, then shrink a little at random.
    const double cell = size / 3.0, margin = 0.03 * size;
    const double fit = std::min((cell - 2 * margin) / b.width(), (size - 2 * margin) / b.height());
    const double scale = fit * rng.range(0.8, 1.0);
    const double slack_x = cell - 2 * margin - b.width() * scale;
    const double slack_y = size - 2 * margin - b.height() * scale;
    const QPointF origin(p.column * cell + margin + rng.uniform() * slack_x - b.left() * scale,
                         margin + rng.uniform() * slack_y - b.top() * scale);
    auto to_canvas = [&](QPointF q) { return origin + q * scale; };

    for (int j = 0; j < kPoseBodyPoints; ++j) {
        const QPointF q = to_canvas(units[j]);
        p.keypoints.body[j] = {float(q.x()), float(q.y()), 1.0f};
    }
    // At least 2 px, so a figure at 64 px still reads (and covers the pixels of its joints).
    p.line_width = std::max(2.0, kLineWidth * scale);
    p.head_radius = std::max(2.0, kHeadRadius * scale);
    p.head_centre = to_canvas({0, kHeadY});
    p.bbox = QRectF(to_canvas(b.topLeft()), to_canvas(b.bottomRight()));
    return p;
}

std::vector<QPointF> star_points(QPointF c, double outer, double inner) {
    std::vector<QPointF> pts;
    for (int i = 0; i < 10; ++i) {
        const double a = -M_PI / 2 + i * M_PI / 5;
        const double r = i % 2 ? inner : outer;
        pts.push_back(c + QPointF(r * std::cos(a), r * std::sin(a)));
    }
    return pts;
}

}  // namespace

const char* world_shape_name(WorldShape shape) { return kShapeNames[int(shape)]; }
const std::vector<WorldColour>& world_palette() { return kPalette; }
const char* world_size_name(WorldSize size) { return size == WorldSize::Small ? "small" : "large"; }
const char* world_cell_name(int cell) { return cell >= 0 && cell < kWorldCells ? kCellNames[cell] : "?"; }
const char* world_cell_phrase(int cell) { return cell >= 0 && cell < kWorldCells ? kCellPhrases[cell] : "?"; }
const char* world_column_phrase(int column) { return world_cell_phrase(3 + std::clamp(column, 0, 2)); }
const char* world_pose_name(WorldPose pose) { return kPoseNames[int(pose)]; }
const char* world_pose_phrase(WorldPose pose) { return kPosePhrases[int(pose)]; }

bool world_colours_contrast(int a, int b) {
    const QRgb x = kPalette[a].rgb, y = kPalette[b].rgb;
    const int dr = std::abs(qRed(x) - qRed(y)), dg = std::abs(qGreen(x) - qGreen(y)),
              db = std::abs(qBlue(x) - qBlue(y));
    return std::max({dr, dg, db}) >= 90 && std::sqrt(double(dr * dr + dg * dg + db * db)) >= 110;
}

QPainterPath world_shape_path(WorldShape shape, QPointF c, double extent) {
    const double r = extent / 2;
    QPainterPath path;
    path.setFillRule(Qt::OddEvenFill);
    switch (shape) {
        case WorldShape::Circle: path.addEllipse(c, r, r); break;
        case WorldShape::Square: {
            const double h = 0.88 * r;  // about the circle's area
            path.addRect(QRectF(c.x() - h, c.y() - h, 2 * h, 2 * h));
            break;
        }
        case WorldShape::Triangle:
            path.moveTo(c + QPointF(0, -r));
            path.lineTo(c + QPointF(r, 0.8 * r));
            path.lineTo(c + QPointF(-r, 0.8 * r));
            path.closeSubpath();
            break;
        case WorldShape::Star: {
            const auto pts = star_points(c, r, 0.45 * r);
            path.addPolygon(QPolygonF(QList<QPointF>(pts.begin(), pts.end())));
            path.closeSubpath();
            break;
        }
        case WorldShape::Ring:
            path.addEllipse(c, r, r);
            path.addEllipse(c, 0.55 * r, 0.55 * r);
            break;
        case WorldShape::Cross: {
            const double t = 0.19 * extent;  // half the arm thickness
            QPainterPath v, h;
            v.addRect(QRectF(c.x() - t, c.y() - r, 2 * t, 2 * r));
            h.addRect(QRectF(c.x() - r, c.y() - t, 2 * r, 2 * t));
            path = v.united(h);
            break;
        }
        case WorldShape::Heart: {
            // The classic parametric heart, x in [-16, 16], scaled to the extent and centred.
            QPolygonF poly;
            for (int i = 0; i < 96; ++i) {
                const double t = 2 * M_PI * i / 96;
                const double x = 16 * std::pow(std::sin(t), 3);
                const double y = -(13 * std::cos(t) - 5 * std::cos(2 * t) - 2 * std::cos(3 * t) - std::cos(4 * t));
                poly << QPointF(x, y);
            }
            const QRectF b = poly.boundingRect();
            const double k = extent / 32.0;
            QTransform m;
            m.translate(c.x(), c.y());
            m.scale(k, k);
            m.translate(-b.center().x(), -b.center().y());
            path.addPolygon(m.map(poly));
            path.closeSubpath();
            break;
        }
    }
    return path;
}

std::string WorldScene::caption(Placement placement) const {
    const bool placed = placement == Placement::Placed;
    std::vector<std::string> items;
    for (const WorldObject& o : objects)
        items.push_back(std::string("a ") + world_size_name(o.size) + " " + kPalette[o.colour].name + " " +
                        world_shape_name(o.shape) + (placed ? std::string(" ") + world_cell_phrase(o.cell) : ""));
    if (person)
        items.push_back(std::string("a person ") + world_pose_phrase(person->pose) +
                        (placed ? std::string(" ") + world_column_phrase(person->column) : ""));
    std::string s;
    for (size_t i = 0; i < items.size(); ++i) {
        // Unplaced joins every item with "and": the tokenizer splits on spaces, and "circle," is no
        // word the placed captions have (their commas follow positions).
        if (i) s += i + 1 == items.size() || !placed ? " and " : ", ";
        s += items[i];
    }
    const std::string bg = kPalette[background].name;
    return s + (std::string("aeiou").find(bg[0]) != std::string::npos ? " on an " : " on a ") + bg + " background";
}

Pose WorldScene::pose() const {
    Pose p;
    p.canvas = size;
    if (person) p.people.push_back(person->keypoints);
    return p;
}

uint64_t world_scene_seed(uint64_t base_seed, uint64_t index) {
    uint64_t s = base_seed;
    const uint64_t a = splitmix64(s);
    uint64_t t = a ^ (index * 0xD1B54A32D192ED03ull);
    return splitmix64(t);
}

WorldScene make_world_scene(uint64_t seed, const WorldOptions& options) {
    if (options.size < 32 || options.size > 4096)
        throw Error("world: size must be 32..4096 pixels, got " + std::to_string(options.size));
    if (!(options.people_fraction >= 0 && options.people_fraction <= 1))
        throw Error("world: people fraction must be in [0, 1], got " + std::to_string(options.people_fraction));
    Rng rng(seed);
    WorldScene scene;
    scene.seed = seed;
    scene.size = QSize(options.size, options.size);
    const int n_colours = int(kPalette.size());
    scene.background = rng.below(n_colours);
    if (rng.uniform() < options.people_fraction) scene.person = make_person(rng, options.size, scene.background);

    // Free cells (the person's column is taken), in a random order; take 1-3 (1-2 beside a
    // person, so captions stay short).
    std::vector<int> cells;
    for (int c = 0; c < kWorldCells; ++c)
        if (!scene.person || c % 3 != scene.person->column) cells.push_back(c);
    for (size_t i = cells.size() - 1; i > 0; --i) std::swap(cells[i], cells[rng.below(int(i) + 1)]);
    const int count = 1 + rng.below(scene.person ? 2 : 3);
    cells.resize(count);
    std::sort(cells.begin(), cells.end());

    std::vector<int> colours;
    for (int c = 0; c < n_colours; ++c)
        if (world_colours_contrast(c, scene.background)) colours.push_back(c);
    const double cell = options.size / 3.0;
    for (int c : cells) {
        WorldObject o;
        o.cell = c;
        o.shape = WorldShape(rng.below(kWorldShapes));
        o.size = rng.below(2) ? WorldSize::Large : WorldSize::Small;
        o.colour = colours[rng.below(int(colours.size()))];
        o.extent = (o.size == WorldSize::Large ? kLargeExtent : kSmallExtent) * options.size;
        // Jitter within 60% of the room left in the cell: neighbours keep a gap of 5% of a cell.
        const double slack = 0.6 * (cell - o.extent) / 2;
        o.centre = QPointF(cell * (c % 3 + 0.5) + rng.range(-slack, slack),
                           cell * (c / 3 + 0.5) + rng.range(-slack, slack));
        const QPainterPath path = world_shape_path(o.shape, o.centre, o.extent);
        o.bbox = path.boundingRect();
        switch (o.shape) {
            case WorldShape::Ring: o.probe = o.centre - QPointF(0, 0.775 * o.extent / 2); break;
            case WorldShape::Triangle: o.probe = o.centre + QPointF(0, 0.2 * o.extent / 2); break;  // centroid
            case WorldShape::Circle: case WorldShape::Square: case WorldShape::Star: case WorldShape::Cross:
                o.probe = o.centre; break;
            case WorldShape::Heart: o.probe = o.bbox.center(); break;
        }
        scene.objects.push_back(o);
    }
    return scene;
}

}  // namespace dit::studio
