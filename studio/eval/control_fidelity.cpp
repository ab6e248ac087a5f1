#include "studio/eval/control_fidelity.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "engine/error.h"
#include "studio/eval/eval_image.h"

namespace dit::studio {
namespace {

constexpr int kMidHip = -1;

// Distance (px) from every pixel to the nearest non-zero pixel of `edges`; huge where it has none.
cv::Mat distance_to(const cv::Mat& edges) {
    cv::Mat inverted = edges == 0, dist;
    cv::distanceTransform(inverted, dist, cv::DIST_L2, cv::DIST_MASK_PRECISE);
    return dist;
}

// Non-zero pixels of `a` within `tolerance` of a non-zero pixel of `b`.
int matched(const cv::Mat& a, const cv::Mat& b_distance, double tolerance) {
    int n = 0;
    for (int y = 0; y < a.rows; ++y)
        for (int x = 0; x < a.cols; ++x)
            if (a.at<uint8_t>(y, x) && b_distance.at<float>(y, x) <= tolerance + 1e-6) ++n;
    return n;
}

}  // namespace

EdgeScore edge_map_f1(const QImage& output_edges, const QImage& requested_edges, double tolerance) {
    if (output_edges.isNull() || requested_edges.isNull()) throw Error("edge fidelity: an edge map is empty");
    if (output_edges.size() != requested_edges.size())
        throw Error("edge fidelity: the output's edge map is " + std::to_string(output_edges.width()) + "x" +
                    std::to_string(output_edges.height()) + " but the requested one " +
                    std::to_string(requested_edges.width()) + "x" + std::to_string(requested_edges.height()));
    const QImage a = output_edges.convertToFormat(QImage::Format_Grayscale8);
    const QImage b = requested_edges.convertToFormat(QImage::Format_Grayscale8);
    const cv::Mat out = cv_view(a) != 0, req = cv_view(b) != 0;
    EdgeScore s;
    s.found = cv::countNonZero(out);
    s.requested = cv::countNonZero(req);
    if (s.found == 0 || s.requested == 0) {
        s.f1 = s.found == s.requested ? 1.0 : 0.0;
        s.precision = s.recall = s.f1;
        return s;
    }
    s.precision = double(matched(out, distance_to(req), tolerance)) / s.found;
    s.recall = double(matched(req, distance_to(out), tolerance)) / s.requested;
    s.f1 = s.precision + s.recall > 0 ? 2 * s.precision * s.recall / (s.precision + s.recall) : 0;
    return s;
}

EdgeScore edge_fidelity(const QImage& output, const QImage& requested_edges, double tolerance,
                        const CannyOptions& canny) {
    if (output.isNull()) throw Error("edge fidelity: the image is empty");
    return edge_map_f1(canny_edges(eval_rgb(output, requested_edges.size()), canny), requested_edges, tolerance);
}

const std::vector<PoseLimb>& pose_fidelity_limbs() {
    static const std::vector<PoseLimb> limbs = {
        {kRightShoulder, kRightElbow, "right upper arm"}, {kRightElbow, kRightWrist, "right forearm"},
        {kLeftShoulder, kLeftElbow, "left upper arm"},    {kLeftElbow, kLeftWrist, "left forearm"},
        {kRightHip, kRightKnee, "right thigh"},           {kRightKnee, kRightAnkle, "right shin"},
        {kLeftHip, kLeftKnee, "left thigh"},              {kLeftKnee, kLeftAnkle, "left shin"},
        {kNeck, kMidHip, "torso"}};
    return limbs;
}

PoseScore pose_fidelity(const QImage& image, const Pose& pose_in, QRgb figure, QRgb background, double radius) {
    if (image.isNull()) throw Error("pose fidelity: the image is empty");
    const QImage rgb = image.convertToFormat(QImage::Format_RGB888);
    const Pose pose = pose_in.canvas.isValid() && pose_in.canvas != rgb.size() ? scaled_pose(pose_in, rgb.size()) : pose_in;
    if (radius <= 0) radius = std::max(2.0, 0.02 * std::min(rgb.width(), rgb.height()));

    // Figure pixels, then their distance field: a sample point is hit when it is within radius.
    const double fr = qRed(figure), fg = qGreen(figure), fb = qBlue(figure);
    const double span = std::hypot(fr - qRed(background), fg - qGreen(background), fb - qBlue(background));
    cv::Mat is_figure(rgb.height(), rgb.width(), CV_8U, cv::Scalar(0));
    for (int y = 0; y < rgb.height(); ++y) {
        const uchar* p = rgb.constScanLine(y);
        for (int x = 0; x < rgb.width(); ++x, p += 3)
            if (std::hypot(p[0] - fr, p[1] - fg, p[2] - fb) < 0.5 * span) is_figure.at<uint8_t>(y, x) = 255;
    }
    const cv::Mat dist = distance_to(is_figure);

    PoseScore s;
    for (const PosePerson& person : pose.people) {
        const auto& k = person.body;
        auto point = [&](int j, bool& ok) {
            if (j != kMidHip) {
                ok = ok && k[j].visible();
                return cv::Point2d(k[j].x, k[j].y);
            }
            ok = ok && k[kRightHip].visible() && k[kLeftHip].visible();
            return cv::Point2d((k[kRightHip].x + k[kLeftHip].x) / 2, (k[kRightHip].y + k[kLeftHip].y) / 2);
        };
        for (const PoseLimb& limb : pose_fidelity_limbs()) {
            bool ok = true;
            const cv::Point2d a = point(limb.from, ok), b = point(limb.to, ok);
            if (!ok) continue;
            const int n = std::max(9, int(cv::norm(b - a) / 2));
            int hits = 0;
            for (int i = 0; i < n; ++i) {
                const cv::Point2d q = a + (b - a) * (0.1 + 0.8 * i / (n - 1));
                const int x = std::clamp(int(std::lround(q.x)), 0, rgb.width() - 1);
                const int y = std::clamp(int(std::lround(q.y)), 0, rgb.height() - 1);
                hits += dist.at<float>(y, x) <= radius;
            }
            const double share = double(hits) / n;
            s.limb_hits.push_back(share);
            s.limbs_found += share >= 0.75;
        }
    }
    cv::Mat in_boxes = cv::Mat::zeros(dist.size(), CV_8U);
    for (const PosePerson& person : pose.people) {
        std::vector<cv::Point> pts;
        for (const PosePoint& p : person.body)
            if (p.visible()) pts.emplace_back(int(std::lround(p.x)), int(std::lround(p.y)));
        if (pts.empty()) continue;
        const int grow = int(std::ceil(radius));
        const cv::Rect box = cv::boundingRect(pts);
        in_boxes(cv::Rect(box.x - grow, box.y - grow, box.width + 2 * grow, box.height + 2 * grow) &
                 cv::Rect(0, 0, dist.cols, dist.rows)).setTo(255);
    }
    if (const int n_box = cv::countNonZero(in_boxes)) s.chance = double(cv::countNonZero((dist <= radius) & in_boxes)) / n_box;
    if (!s.limb_hits.empty()) {
        double sum = 0;
        for (double h : s.limb_hits) sum += h;
        s.mean = sum / s.limb_hits.size();
    }
    return s;
}

}  // namespace dit::studio
