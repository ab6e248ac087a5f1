#include "studio/control/canny.h"

#include <opencv2/imgproc.hpp>
#include <string>

#include "engine/error.h"

namespace dit::studio {

QImage canny_edges(const QImage& image, const CannyOptions& o) {
    if (image.isNull()) throw Error("canny: the image is empty");
    if (o.low < 0 || o.high < 0 || o.low > o.high)
        throw Error("canny: thresholds must satisfy 0 <= low <= high (got low " + std::to_string(o.low) +
                    ", high " + std::to_string(o.high) + ")");
    if (o.blur_kernel != 0 && (o.blur_kernel < 3 || o.blur_kernel % 2 == 0))
        throw Error("canny: blur kernel must be 0 (off) or an odd size >= 3, got " + std::to_string(o.blur_kernel));

    const QImage src = image.convertToFormat(o.grayscale ? QImage::Format_Grayscale8 : QImage::Format_RGB888);
    const cv::Mat in(src.height(), src.width(), o.grayscale ? CV_8UC1 : CV_8UC3,
                     const_cast<uchar*>(src.constBits()), size_t(src.bytesPerLine()));
    cv::Mat blurred = in;
    if (o.blur_kernel) cv::GaussianBlur(in, blurred, cv::Size(o.blur_kernel, o.blur_kernel), o.blur_sigma);

    QImage out(src.size(), QImage::Format_Grayscale8);
    cv::Mat edges(out.height(), out.width(), CV_8UC1, out.bits(), size_t(out.bytesPerLine()));
    cv::Canny(blurred, edges, o.low, o.high, 3, o.l2_gradient);
    return out;
}

}  // namespace dit::studio
