// The document's pose is the full pose model: OpenPose JSON with hands and face survives import,
// project save/load and undo; hand points drag like body joints; skeleton and hand transforms
// have the right geometry and are one undo step each.
#include <QTemporaryDir>
#include <QtTest>
#include <cmath>

#include "studio/control/pose.h"
#include "studio/control/pose_transform.h"
#include "studio/document/document.h"
#include "studio/project/project_file.h"
#include "tests/common/document_compare.h"

using namespace dit::studio;

namespace {

// A person with every point present and distinct: body, both hands and face.
PosePerson full_person(float dx) {
    PosePerson p;
    for (int i = 0; i < kPoseBodyPoints; ++i) p.body[size_t(i)] = {40.f + dx + 3 * i, 20.f + 4 * i, 0.9f};
    p.body[kNeck] = {60.f + dx, 30.f, 1.f};
    for (int i = 0; i < kPoseHandPoints; ++i) {
        p.hand_left.push_back({100.f + dx + i, 80.f + 0.5f * i, 0.8f});
        p.hand_right.push_back({20.f + dx + i, 90.f - 0.25f * i, i == 7 ? 0.f : 0.7f});
    }
    for (int i = 0; i < kPoseFacePoints; ++i) p.face.push_back({50.f + dx + 0.2f * i, 10.f + 0.1f * i, 0.6f});
    return p;
}

// Largest coordinate difference over every point of two people (same layout assumed).
double max_point_error(const PosePerson& a, const PosePerson& b) {
    double e = 0;
    for (int i = 0; i < kPosePointCount; ++i) {
        const PosePoint *p = pose_point(a, i), *q = pose_point(b, i);
        if (!p || !q) continue;
        e = std::max({e, double(std::abs(p->x - q->x)), double(std::abs(p->y - q->y))});
    }
    return e;
}

}  // namespace

class TestPoseDocument : public QObject {
    Q_OBJECT

private slots:
    void hands_and_face_round_trip_through_a_project() {
        Pose pose;
        pose.canvas = QSize(160, 120);
        pose.people = {full_person(0), full_person(30)};
        pose.people[1].hand_left.clear();  // a person without a left hand stays without one
        const Pose imported = pose_from_json(pose_to_json(pose));
        QCOMPARE(imported, pose);

        Document doc(pose.canvas);
        for (const auto& p : imported.people) doc.addPerson(p);
        QCOMPARE(doc.people(), pose.people);

        QTemporaryDir tmp;
        QVERIFY(tmp.isValid());
        const QString folder = tmp.filePath("p.ditproj");
        save_project(doc.state(), folder);
        const DocumentState back = load_project(folder);
        QCOMPARE(back.people, pose.people);  // exact: floats go through doubles and back
        QVERIFY(dit::testing::same_state(back, doc.state()));
    }

    void dragging_a_hand_point_and_undo() {
        Document doc(QSize(160, 120));
        doc.addPerson(full_person(0));
        const PosePerson before = doc.people()[0];
        const int point = kPoseRightHandBase + 8;  // a fingertip
        doc.moveJoint(0, point, {33.5, 44.25});
        doc.moveJoint(0, point, {35.5, 46.25});  // a drag merges into one step
        QCOMPARE(doc.undoStack()->count(), 2);
        QCOMPARE(doc.people()[0].hand_right[8].x, 35.5f);
        QCOMPARE(doc.people()[0].hand_right[8].y, 46.25f);
        QCOMPARE(doc.people()[0].hand_right[8].confidence, 0.7f);
        doc.undoStack()->undo();
        QCOMPARE(doc.people()[0], before);

        doc.moveJoint(0, kPoseFaceBase + 69, {1, 2});
        QCOMPARE(doc.people()[0].face[69].x, 1.f);
        doc.undoStack()->undo();
        QCOMPARE(doc.people()[0], before);

        // A hand the person does not have cannot be edited.
        PosePerson bare = full_person(0);
        bare.hand_left.clear();
        doc.addPerson(bare);
        QVERIFY_THROWS_EXCEPTION(std::exception, doc.moveJoint(1, kPoseLeftHandBase, {1, 1}));
    }

    void mirror_twice_is_identity() {
        const PosePerson p = full_person(0);
        for (PosePart part : {PosePart::Person, PosePart::LeftHand, PosePart::RightHand}) {
            const PosePerson once = mirrored(p, part);
            QVERIFY(!(once == p));
            // Tolerance 1e-4 px: two reflections in float about the same pivot.
            const double e = max_point_error(mirrored(once, part), p);
            QVERIFY2(e < 1e-4, qPrintable(QString("max abs error %1").arg(e)));
        }
        // A mirrored person swaps sides: the right wrist lands where the mirrored left one was.
        const PosePerson m = mirrored(p, PosePart::Person);
        QCOMPARE(m.body[kRightWrist].x, 2 * p.body[kNeck].x - p.body[kLeftWrist].x);
        QCOMPARE(m.hand_left.size(), p.hand_right.size());
    }

    void rotate_four_quarter_turns_is_identity() {
        const PosePerson p = full_person(0);
        for (PosePart part : {PosePart::Person, PosePart::LeftHand, PosePart::RightHand}) {
            PosePerson q = p;
            for (int i = 0; i < 4; ++i) q = rotated(q, part, 90);
            // Tolerance 1e-3 px: four float rotations of points ~100 px from the pivot.
            const double e = max_point_error(q, p);
            QVERIFY2(e < 1e-3, qPrintable(QString("max abs error %1").arg(e)));
        }
        // A quarter turn clockwise on screen (y down): a point right of the neck goes below it.
        PosePerson r = p;
        r.body[kRightShoulder] = {p.body[kNeck].x + 10, p.body[kNeck].y, 1};
        const PosePerson t = rotated(r, PosePart::Person, 90);
        QVERIFY(std::abs(t.body[kRightShoulder].x - p.body[kNeck].x) < 1e-4);
        QVERIFY(std::abs(t.body[kRightShoulder].y - (p.body[kNeck].y + 10)) < 1e-4);
    }

    void scale_keeps_the_pivot_fixed() {
        const PosePerson p = full_person(0);
        const PosePerson s = scaled(p, PosePart::Person, 1.5);
        QCOMPARE(s.body[kNeck], p.body[kNeck]);
        // Tolerance 1e-4 px: one float multiply-add.
        QVERIFY(std::abs((s.body[kNose].x - p.body[kNeck].x) - 1.5f * (p.body[kNose].x - p.body[kNeck].x)) < 1e-4);
        QVERIFY(std::abs((s.face[5].y - p.body[kNeck].y) - 1.5f * (p.face[5].y - p.body[kNeck].y)) < 1e-4);

        // A hand scales about its wrist and leaves everything else alone.
        const PosePerson h = scaled(p, PosePart::LeftHand, 2);
        QCOMPARE(h.hand_left[0], p.hand_left[0]);
        QVERIFY(std::abs((h.hand_left[20].x - p.hand_left[0].x) - 2 * (p.hand_left[20].x - p.hand_left[0].x)) < 1e-4);
        QCOMPARE(h.body, p.body);
        QCOMPARE(h.hand_right, p.hand_right);
        QCOMPARE(h.face, p.face);
    }

    void translate_moves_every_point_of_the_part() {
        const PosePerson p = full_person(0);
        const PosePerson t = translated(p, PosePart::RightHand, {5, -3});
        for (int i = 0; i < kPoseHandPoints; ++i) {
            QCOMPARE(t.hand_right[size_t(i)].x, p.hand_right[size_t(i)].x + 5);
            QCOMPARE(t.hand_right[size_t(i)].y, p.hand_right[size_t(i)].y - 3);
            QCOMPARE(t.hand_right[size_t(i)].confidence, p.hand_right[size_t(i)].confidence);
        }
        QCOMPARE(t.hand_left, p.hand_left);
        QCOMPARE(translated(p, PosePart::Person, {2, 2}).face[0].x, p.face[0].x + 2);
    }

    void each_transform_is_one_undo_step() {
        Document doc(QSize(160, 120));
        doc.addPerson(full_person(0));
        const PosePerson before = doc.people()[0];
        const std::vector<PosePerson> edits = {
            translated(before, PosePart::Person, {4, 0}), scaled(before, PosePart::Person, 1.1),
            rotated(before, PosePart::LeftHand, 15), mirrored(before, PosePart::Person)};
        for (const PosePerson& after : edits) {
            // index(), not count(): the step undone last round stays counted until replaced.
            const int index = doc.undoStack()->index();
            doc.setPerson(0, after, "transform");
            QCOMPARE(doc.undoStack()->index(), index + 1);
            QCOMPARE(doc.people()[0], after);
            doc.undoStack()->undo();
            QCOMPARE(doc.people()[0], before);
            doc.undoStack()->redo();
            QCOMPARE(doc.people()[0], after);
            doc.undoStack()->undo();
        }
    }
};

QTEST_APPLESS_MAIN(TestPoseDocument)
#include "test_pose_document.moc"
