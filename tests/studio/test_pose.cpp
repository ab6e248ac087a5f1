// The pose model (OpenPose JSON in and out, strict errors naming the field) and the OpenPose
// control-map renderer: ControlNet's limb order, colours, 60% limb shade, joint radius 4 at
// 512 px scaled with the size, and nothing drawn for absent points.
#include <QtTest>

#include "engine/error.h"
#include "studio/control/pose.h"
#include "studio/control/pose_renderer.h"
#include "tests/common/test_helpers.h"

using namespace dit::studio;

namespace {

// A standing person on a 512 canvas, every body point present, no hands or face.
PosePerson standing(float dx = 0) {
    PosePerson p;
    const float xy[kPoseBodyPoints][2] = {
        {256, 100}, {256, 150}, {206, 150}, {190, 230}, {185, 300}, {306, 150}, {322, 230},
        {327, 300}, {226, 300}, {222, 390}, {220, 470}, {286, 300}, {290, 390}, {292, 470},
        {246, 90},  {266, 90},  {236, 95},  {276, 95}};
    for (int j = 0; j < kPoseBodyPoints; ++j) p.body[j] = {xy[j][0] + dx, xy[j][1], 1.0f};
    return p;
}

// 0xRRGGBB, no alpha: what px() returns.
QRgb c3(int r, int g, int b) { return qRgb(r, g, b) & 0xffffff; }

QRgb px(const QImage& img, double x, double y) { return img.pixel(int(x), int(y)) & 0xffffff; }

QString rgb_str(QRgb c) { return QString("(%1, %2, %3)").arg(qRed(c)).arg(qGreen(c)).arg(qBlue(c)); }

int count_nonblack(const QImage& img) {
    int n = 0;
    for (int y = 0; y < img.height(); ++y)
        for (int x = 0; x < img.width(); ++x) n += (img.pixel(x, y) & 0xffffff) != 0;
    return n;
}

// The shaded colour of limb i: floor(colour * 0.6), as the annotator's uint8 cast.
QRgb limb_colour(int i) {
    const auto& c = kOpenPoseColours[i];
    return c3(int(c[0] * kOpenPoseLimbShade), int(c[1] * kOpenPoseLimbShade), int(c[2] * kOpenPoseLimbShade));
}

QByteArray one_person_json(const QString& body, const QString& extra = {}) {
    return QString("{\"canvas_width\": 512, \"canvas_height\": 512, \"people\": [{\"pose_keypoints_2d\": [%1]%2}]}")
        .arg(body, extra).toUtf8();
}

QString numbers(int n, double v = 10) {
    QStringList l;
    for (int i = 0; i < n; ++i) l << QString::number(v);
    return l.join(", ");
}

}  // namespace

class TestPose : public QObject {
    Q_OBJECT

private slots:
    void json_round_trip() {
        Pose pose;
        pose.canvas = QSize(640, 480);
        PosePerson a = standing();
        a.body[kLeftEar].confidence = 0;  // absent points survive as c = 0
        a.body[kLeftEar].x = a.body[kLeftEar].y = 0;
        a.hand_left.resize(kPoseHandPoints);
        for (int i = 0; i < kPoseHandPoints; ++i) a.hand_left[i] = {100.25f + i, 200.5f + i, 0.75f};
        a.face.resize(kPoseFacePoints);
        for (int i = 0; i < kPoseFacePoints; ++i) a.face[i] = {300.0f + i * 0.1f, 50.0f + i * 0.3f, 0.5f};
        pose.people = {a, standing(80)};

        const QByteArray json = pose_to_json(pose);
        const Pose back = pose_from_json(json);
        QCOMPARE(back.canvas, pose.canvas);
        QCOMPARE(back.people.size(), size_t(2));
        QVERIFY2(back == pose, "the pose changed through JSON (floats must round-trip exactly)");
        QVERIFY(back.people[1].hand_left.empty() && back.people[1].face.empty());
        QVERIFY(json.contains("\"pose_keypoints_2d\"") && json.contains("\"hand_left_keypoints_2d\"") &&
                json.contains("\"canvas_width\": 640"));

        // A file written by OpenPose itself: hands and face given as empty arrays, no canvas.
        const QByteArray openpose = "{\"version\":1.3,\"people\":[{\"person_id\":[-1],\"pose_keypoints_2d\":[" +
                                    numbers(54, 5).toUtf8() + "],\"face_keypoints_2d\":[],"
                                    "\"hand_left_keypoints_2d\":[],\"hand_right_keypoints_2d\":[]}]}";
        const Pose op = pose_from_json(openpose);
        QVERIFY(!op.canvas.isValid());
        QCOMPARE(op.people.size(), size_t(1));
        QCOMPARE(op.people[0].body[17].x, 5.0f);
        QCOMPARE(pose_from_json(openpose, "x", QSize(64, 64)).canvas, QSize(64, 64));
    }

    void broken_json_names_the_field() {
        EXPECT_ERROR(pose_from_json("{\"people\": [", "p.json"), "p.json: not valid JSON at offset");
        EXPECT_ERROR(pose_from_json("[1, 2]", "p.json"), "(root)");
        EXPECT_ERROR(pose_from_json("{\"canvas_width\": 5}"), "canvas_height: missing");
        EXPECT_ERROR(pose_from_json("{}", "p.json"), "p.json: people: missing");
        EXPECT_ERROR(pose_from_json("{\"people\": [{}]}"), "people[0].pose_keypoints_2d: missing");
        EXPECT_ERROR(pose_from_json(one_person_json(numbers(53))),
                     "people[0].pose_keypoints_2d: expected 54 numbers (x, y, c for 18 keypoints), got 53");
        QStringList body = numbers(54).split(", ");
        body[3 * kNeck] = "\"a\"";
        EXPECT_ERROR(pose_from_json(one_person_json(body.join(", "))), "people[0].pose_keypoints_2d[1] (neck).x: '\"a\"' is not a number");
        EXPECT_ERROR(pose_from_json(one_person_json(numbers(54), ", \"hand_left_keypoints_2d\": [1, 2]")),
                     "people[0].hand_left_keypoints_2d: expected 63 numbers");
        EXPECT_ERROR(pose_from_json(one_person_json(numbers(54), ", \"face_keypoints_2d\": {}")),
                     "people[0].face_keypoints_2d: expected an array");
        EXPECT_ERROR(pose_from_json(one_person_json(numbers(54, -1))), "confidence -1 is negative");

        // Out of range is an error, not a clamp; points with c = 0 are not checked.
        QStringList l = numbers(54).split(", ");
        l[3 * kRightWrist] = "600";
        EXPECT_ERROR(pose_from_json(one_person_json(l.join(", ")), "p.json"),
                     "p.json: people[0].pose_keypoints_2d[4] (right wrist): (600, 10) is outside the 512x512 canvas");
        l[3 * kRightWrist + 2] = "0";
        QCOMPARE(pose_from_json(one_person_json(l.join(", "))).people[0].body[kRightWrist].x, 600.0f);
        QStringList z = numbers(54).split(", ");
        z[3 * kNose + 1] = "-0.5";
        EXPECT_ERROR(pose_from_json(one_person_json(z.join(", "))), "[0] (nose)");
        // Without any canvas the range is not checked; the caller's fallback canvas is.
        const QByteArray no_canvas = ("{\"people\": [{\"pose_keypoints_2d\": [" + l.join(", ").replace(QString("600, 10, 0"), "600, 10, 1") + "]}]}").toUtf8();
        QCOMPARE(pose_from_json(no_canvas).people[0].body[kRightWrist].x, 600.0f);
        EXPECT_ERROR(pose_from_json(no_canvas, "f", QSize(100, 100)), "outside the 100x100 canvas");
    }

    void limb_colours_and_joints() {
        Pose pose;
        pose.canvas = QSize(512, 512);
        pose.people = {standing()};
        const QImage map = render_pose_map(pose, QSize(512, 512));
        QCOMPARE(map.format(), QImage::Format_RGB888);
        // Limb 0 (neck -> right shoulder) at its midpoint: its colour at 60%, exactly.
        const PosePoint& neck = pose.people[0].body[kNeck];
        const PosePoint& rs = pose.people[0].body[kRightShoulder];
        const QRgb mid = px(map, (neck.x + rs.x) / 2, (neck.y + rs.y) / 2);
        QVERIFY2(mid == limb_colour(0), qPrintable("limb 0 midpoint " + rgb_str(mid) + ", want " + rgb_str(limb_colour(0))));
        QCOMPARE(limb_colour(0), c3(153, 0, 0));
        // Every limb's midpoint carries its own shaded colour (this pose has no crossings there).
        for (size_t i = 0; i < kOpenPoseLimbs.size(); ++i) {
            const PosePoint& a = pose.people[0].body[kOpenPoseLimbs[i][0]];
            const PosePoint& b = pose.people[0].body[kOpenPoseLimbs[i][1]];
            const QRgb c = px(map, (a.x + b.x) / 2, (a.y + b.y) / 2);
            QVERIFY2(c == limb_colour(int(i)), qPrintable(QString("limb %1 midpoint %2, want %3").arg(i).arg(rgb_str(c), rgb_str(limb_colour(int(i))))));
        }
        // Joints at full strength on top of the limbs.
        for (int j = 0; j < kPoseBodyPoints; ++j) {
            const auto& c = kOpenPoseColours[j];
            const PosePoint& p = pose.people[0].body[j];
            QCOMPARE(px(map, p.x, p.y), c3(c[0], c[1], c[2]));
        }
        // Outside the figure: black.
        QCOMPARE(px(map, 20, 20), c3(0, 0, 0));
        QCOMPARE(px(map, 500, 500), c3(0, 0, 0));
    }

    void absent_points_are_not_drawn() {
        Pose pose;
        pose.canvas = QSize(512, 512);
        PosePerson p;  // every point absent but the neck
        p.body[kNeck] = {200, 200, 1};
        p.body[kRightShoulder] = {100, 200, 0};  // absent: limb 0 must not appear
        pose.people = {p};
        const QImage map = render_pose_map(pose, QSize(512, 512));
        QCOMPARE(px(map, 150, 200), c3(0, 0, 0));
        QCOMPARE(px(map, 100, 200), c3(0, 0, 0));
        QCOMPARE(px(map, 200, 200), c3(255, 85, 0));
        // Only the neck's disc of radius 4 is drawn: OpenCV's filled circle has 49 pixels.
        const int n = count_nonblack(map);
        qInfo("non-black pixels with one visible point: %d", n);
        QVERIFY2(n > 30 && n <= 81, qPrintable(QString("%1 pixels drawn").arg(n)));
        // Nothing at all for an empty pose, and body/hands/face can be switched off.
        QCOMPARE(count_nonblack(render_pose_map(Pose{}, QSize(64, 64))), 0);
        Pose full;
        full.canvas = QSize(512, 512);
        full.people = {standing()};
        PoseRenderOptions off;
        off.body = false;
        QCOMPARE(count_nonblack(render_pose_map(full, QSize(512, 512), off)), 0);
    }

    void scales_with_size() {
        Pose pose;
        pose.canvas = QSize(512, 512);
        pose.people = {standing()};
        const QImage big = render_pose_map(pose, QSize(1024, 1024));
        const QImage small = render_pose_map(pose, QSize(256, 256));
        // Coordinates follow the canvas: limb 0's midpoint moves with the size.
        QCOMPARE(px(big, 2 * 231, 2 * 150), limb_colour(0));
        QCOMPARE(px(small, 231 / 2, 150 / 2), limb_colour(0));
        // Thickness scales: the vertical extent of limb 0 (horizontal, half-width 4 at 512) across
        // its midpoint is 2 * 4 * scale + 1 pixels (tolerance 1 px for OpenCV's polygon rounding).
        auto thickness = [](const QImage& img, int x, int y) {
            int n = 0;
            for (int yy = 0; yy < img.height(); ++yy) n += (img.pixel(x, yy) & 0xffffff) == limb_colour(0);
            return n;
        };
        const int t512 = thickness(render_pose_map(pose, QSize(512, 512)), 231, 150);
        const int t1024 = thickness(big, 462, 300), t256 = thickness(small, 115, 75);
        qInfo("limb 0 thickness: %d px at 256, %d at 512, %d at 1024", t256, t512, t1024);
        QVERIFY(std::abs(t512 - 9) <= 1);
        QVERIFY(std::abs(t1024 - 17) <= 1);
        QVERIFY(std::abs(t256 - 5) <= 1);
        // Joint discs: radius 4 at 512, 8 at 1024 (area about 4x; tolerance 25% for rasterising).
        Pose one;
        one.canvas = QSize(512, 512);
        PosePerson p;
        p.body[kNose] = {256, 256, 1};
        one.people = {p};
        const int a512 = count_nonblack(render_pose_map(one, QSize(512, 512)));
        const int a1024 = count_nonblack(render_pose_map(one, QSize(1024, 1024)));
        qInfo("joint disc: %d px at 512, %d px at 1024", a512, a1024);
        QVERIFY(std::abs(a1024 / double(a512) - 4.0) < 1.0);
        // Never thinner than a pixel: a 64 px map still shows the limb.
        QCOMPARE(px(render_pose_map(pose, QSize(64, 64)), 231 / 8, 150 / 8), limb_colour(0));
    }

    // The annotator's own drawing (tools/reference/make_pose_fixture.py: ControlNet 1.1's calls
    // restated with OpenCV in Python) of two random people with hands and faces: exact match.
    void matches_the_annotator() {
        const Pose pose = read_pose_json(DIT_FIXTURES "/pose/two_people.json");
        const QImage want = QImage(DIT_FIXTURES "/pose/two_people_openpose.png").convertToFormat(QImage::Format_RGB888);
        QVERIFY(!want.isNull());
        const QImage got = render_pose_map(pose, want.size());
        int worst = 0, differing = 0;
        for (int y = 0; y < want.height(); ++y)
            for (int x = 0; x < 3 * want.width(); ++x) {
                const int d = std::abs(int(got.constScanLine(y)[x]) - int(want.constScanLine(y)[x]));
                worst = std::max(worst, d);
                differing += d > 0;
            }
        // Tolerance 0: same OpenCV primitives, same integer truncations.
        qInfo("vs the annotator: max abs error %d levels over %d bytes differing (tolerance 0)", worst, differing);
        QCOMPARE(worst, 0);
    }

    void hands_and_face() {
        QCOMPARE(hand_bone_colour(0), (std::array<int, 3>{255, 0, 0}));
        QCOMPARE(hand_bone_colour(5), (std::array<int, 3>{128, 255, 0}));  // HSV(0.25): 127.5 rounds to even 128
        Pose pose;
        pose.canvas = QSize(512, 512);
        PosePerson p;
        p.hand_right.resize(kPoseHandPoints);
        for (int i = 0; i < kPoseHandPoints; ++i) p.hand_right[i] = {100.0f + 15 * (i / 4), 100.0f + 15 * (i % 4), 0};
        p.hand_right[0] = {100, 100, 1};
        p.hand_right[1] = {160, 100, 1};
        p.face.resize(kPoseFacePoints);
        p.face[0] = {400, 400, 1};
        pose.people = {p};
        const QImage map = render_pose_map(pose, QSize(512, 512));
        const auto c0 = hand_bone_colour(0);
        QCOMPARE(px(map, 130, 100), c3(c0[0], c0[1], c0[2]));  // bone 0 midpoint
        QCOMPARE(px(map, 100, 100), c3(0, 0, 255));              // hand joints blue
        QCOMPARE(px(map, 400, 400), c3(255, 255, 255));          // face points white
        QCOMPARE(px(map, 115, 115), c3(0, 0, 0));                // absent hand points: nothing
    }
};

QTEST_APPLESS_MAIN(TestPose)
#include "test_pose.moc"
