// OpenPose JSON (people[].pose_keypoints_2d, hands, face, canvas size), then the control map drawn
// from whatever it accepted.
#include <QByteArray>

#include "fuzz/fuzz_input.h"
#include "studio/control/pose.h"
#include "studio/control/pose_renderer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const QByteArray bytes(reinterpret_cast<const char*>(data), static_cast<qsizetype>(size));
    dit::fuzz::expect_clean([&] {
        const auto pose = dit::studio::pose_from_json(bytes, QStringLiteral("fuzz"), QSize(64, 64));
        (void)dit::studio::pose_to_json(pose);
        (void)dit::studio::render_pose_map(pose, QSize(64, 64));
    });
    return 0;
}
