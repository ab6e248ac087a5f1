#include "studio/control/pose_renderer.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

namespace dit::studio {
namespace {

// A size in annotator pixels at 512, scaled, never below one pixel.
int scaled_px(double px, double scale) { return std::max(1, int(std::lround(px * scale))); }

cv::Scalar rgb(const std::array<int, 3>& c) { return cv::Scalar(c[0], c[1], c[2]); }

}  // namespace

std::array<int, 3> hand_bone_colour(int k) {
    // The annotator's HSV -> RGB (matplotlib's formula) in double, then OpenCV's rounding of a
    // float colour to 8 bits (round half to even), so the bytes match it exactly.
    const double h = double(k) / double(kOpenPoseHandBones.size());
    const double s = 1.0, v = 1.0;
    const int i = int(h * 6.0);
    const double f = h * 6.0 - i;
    const double p = v * (1.0 - s), q = v * (1.0 - s * f), t = v * (1.0 - s * (1.0 - f));
    double r, g, b;
    switch (i % 6) {
        case 0: r = v, g = t, b = p; break;
        case 1: r = q, g = v, b = p; break;
        case 2: r = p, g = v, b = t; break;
        case 3: r = p, g = q, b = v; break;
        case 4: r = t, g = p, b = v; break;
        default: r = v, g = p, b = q; break;
    }
    auto byte = [](double x) { return std::clamp(int(std::nearbyint(x * 255.0)), 0, 255); };
    return {byte(r), byte(g), byte(b)};
}

QImage render_pose_map(const Pose& input, QSize size, const PoseRenderOptions& options) {
    QImage out(size, QImage::Format_RGB888);
    out.fill(Qt::black);
    if (size.isEmpty()) return out;
    const Pose pose = scaled_pose(input, size);
    const double scale = options.scale > 0 ? options.scale : std::min(size.width(), size.height()) / 512.0;
    // The QImage's rows are 32-bit aligned; OpenCV draws straight into them through `step`.
    cv::Mat canvas(size.height(), size.width(), CV_8UC3, out.bits(), size_t(out.bytesPerLine()));

    if (options.body) {
        const int stickwidth = scaled_px(4, scale);
        for (size_t limb = 0; limb < kOpenPoseLimbs.size(); ++limb)
            for (const PosePerson& person : pose.people) {
                const PosePoint& a = person.body[kOpenPoseLimbs[limb][0]];
                const PosePoint& b = person.body[kOpenPoseLimbs[limb][1]];
                if (!a.visible() || !b.visible()) continue;
                const double mx = (double(a.x) + b.x) / 2, my = (double(a.y) + b.y) / 2;
                const double length = std::hypot(double(a.x) - b.x, double(a.y) - b.y);
                const double angle = std::atan2(double(a.y) - b.y, double(a.x) - b.x) * 180.0 / M_PI;
                std::vector<cv::Point> polygon;
                cv::ellipse2Poly(cv::Point(int(mx), int(my)), cv::Size(int(length / 2), stickwidth),
                                 int(angle), 0, 360, 1, polygon);
                cv::fillConvexPoly(canvas, polygon, rgb(kOpenPoseColours[limb]));
            }
        // The annotator's (canvas * 0.6).astype(uint8): truncation after a double multiply.
        for (int y = 0; y < size.height(); ++y) {
            uchar* row = out.scanLine(y);
            for (int x = 0; x < 3 * size.width(); ++x) row[x] = uchar(row[x] * kOpenPoseLimbShade);
        }
        const int radius = scaled_px(4, scale);
        for (int j = 0; j < kPoseBodyPoints; ++j)
            for (const PosePerson& person : pose.people) {
                const PosePoint& p = person.body[j];
                if (!p.visible()) continue;
                cv::circle(canvas, cv::Point(int(p.x), int(p.y)), radius, rgb(kOpenPoseColours[j]), cv::FILLED);
            }
    }

    if (options.hands) {
        const int thickness = scaled_px(2, scale), radius = scaled_px(4, scale);
        for (const PosePerson& person : pose.people)
            for (const auto* hand : {&person.hand_left, &person.hand_right}) {
                if (int(hand->size()) != kPoseHandPoints) continue;
                for (size_t k = 0; k < kOpenPoseHandBones.size(); ++k) {
                    const PosePoint& a = (*hand)[kOpenPoseHandBones[k][0]];
                    const PosePoint& b = (*hand)[kOpenPoseHandBones[k][1]];
                    if (!a.visible() || !b.visible()) continue;
                    cv::line(canvas, cv::Point(int(a.x), int(a.y)), cv::Point(int(b.x), int(b.y)),
                             rgb(hand_bone_colour(int(k))), thickness);
                }
                for (const PosePoint& p : *hand)
                    if (p.visible()) cv::circle(canvas, cv::Point(int(p.x), int(p.y)), radius, cv::Scalar(0, 0, 255), cv::FILLED);
            }
    }

    if (options.face) {
        const int radius = scaled_px(3, scale);
        for (const PosePerson& person : pose.people)
            for (const PosePoint& p : person.face)
                if (p.visible()) cv::circle(canvas, cv::Point(int(p.x), int(p.y)), radius, cv::Scalar(255, 255, 255), cv::FILLED);
    }
    return out;
}

}  // namespace dit::studio
