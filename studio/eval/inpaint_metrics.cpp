#include "studio/eval/inpaint_metrics.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <string>

#include "engine/error.h"
#include "studio/eval/eval_image.h"

namespace dit::studio {
namespace {

void check_size(const QImage& a, const QImage& b, const char* what) {
    if (a.isNull() || b.isNull()) throw Error(std::string("inpaint metrics: ") + what + ": an image is empty");
    if (a.size() != b.size())
        throw Error(std::string("inpaint metrics: ") + what + ": sizes differ (" + std::to_string(a.width()) + "x" +
                    std::to_string(a.height()) + " vs " + std::to_string(b.width()) + "x" + std::to_string(b.height()) + ")");
}

}  // namespace

OutsideDiff inpaint_outside_diff(const QImage& original, const QImage& result, const QImage& mask) {
    check_size(original, result, "original vs result");
    check_size(original, mask, "image vs mask");
    const QImage a = original.convertToFormat(QImage::Format_RGB888), b = result.convertToFormat(QImage::Format_RGB888);
    const QImage m = mask.convertToFormat(QImage::Format_Grayscale8);
    OutsideDiff d;
    for (int y = 0; y < a.height(); ++y) {
        const uchar *pa = a.constScanLine(y), *pb = b.constScanLine(y), *pm = m.constScanLine(y);
        for (int x = 0; x < a.width(); ++x) {
            if (pm[x]) continue;
            int worst = 0;
            for (int c = 0; c < 3; ++c) worst = std::max(worst, std::abs(int(pa[3 * x + c]) - int(pb[3 * x + c])));
            d.max_abs_diff = std::max(d.max_abs_diff, worst);
            d.changed_pixels += worst > 0;
        }
    }
    return d;
}

SeamScore inpaint_seam(const QImage& result, const QImage& mask, int band) {
    check_size(result, mask, "result vs mask");
    const QImage rgb = result.convertToFormat(QImage::Format_RGB888);
    const QImage m = mask.convertToFormat(QImage::Format_Grayscale8);
    // Gradient magnitude: the strongest channel's Sobel magnitude, in levels per pixel.
    cv::Mat f;
    cv_view(rgb).convertTo(f, CV_32FC3);
    cv::Mat gx, gy;
    cv::Sobel(f, gx, CV_32F, 1, 0, 3, 1.0 / 8, 0, cv::BORDER_REPLICATE);
    cv::Sobel(f, gy, CV_32F, 0, 1, 3, 1.0 / 8, 0, cv::BORDER_REPLICATE);
    // The border band: binary mask dilated minus eroded (both sides of the boundary).
    const cv::Mat inside = cv_view(m) >= 128;
    const cv::Mat kernel = cv::getStructuringElement(cv::MORPH_RECT, cv::Size(2 * band + 1, 2 * band + 1));
    cv::Mat grown, shrunk;
    cv::dilate(inside, grown, kernel, {-1, -1}, 1, cv::BORDER_CONSTANT, 0);
    cv::erode(inside, shrunk, kernel, {-1, -1}, 1, cv::BORDER_CONSTANT, 255);
    const cv::Mat border = grown & ~shrunk;
    double on = 0, off = 0;
    int n_on = 0, n_off = 0;
    for (int y = 0; y < f.rows; ++y)
        for (int x = 0; x < f.cols; ++x) {
            const cv::Vec3f a = gx.at<cv::Vec3f>(y, x), b = gy.at<cv::Vec3f>(y, x);
            float g = 0;
            for (int c = 0; c < 3; ++c) g = std::max(g, std::hypot(a[c], b[c]));
            if (border.at<uint8_t>(y, x)) on += g, ++n_on;
            else off += g, ++n_off;
        }
    SeamScore s;
    s.border_gradient = n_on ? on / n_on : 0;
    s.image_gradient = n_off ? off / n_off : 0;
    s.seam = s.border_gradient / std::max(1.0, s.image_gradient);
    return s;
}

AdherenceResult inpaint_prompt_adherence(const WorldScene& scene, const QImage& result, const QImage& mask) {
    check_size(result, mask, "result vs mask");
    const QImage m = mask.convertToFormat(QImage::Format_Grayscale8).scaled(scene.size);
    AdherenceResult all = prompt_adherence(scene, result);
    AdherenceResult kept;
    kept.background = all.background;
    kept.background_right = all.background_right;
    for (size_t i = 0; i < scene.objects.size(); ++i) {
        const QPoint c = scene.objects[i].centre.toPoint();
        if (m.rect().contains(c) && m.pixelColor(c).value() > 0) kept.objects.push_back(all.objects[i]);
    }
    return kept;
}

}  // namespace dit::studio
