#pragma once
// Internal to studio/eval (it includes OpenCV, which only dit_studio's sources see): the images
// the metrics read, as 8-bit RGB of the size they are measured at, and OpenCV views of them.
#include <QImage>
#include <QSize>
#include <opencv2/core.hpp>

namespace dit::studio {

// RGB888 of `size` (scaled smoothly when it differs); a null image is an error for the caller.
inline QImage eval_rgb(const QImage& image, QSize size) {
    QImage rgb = image.convertToFormat(QImage::Format_RGB888);
    if (size.isValid() && rgb.size() != size)
        rgb = rgb.scaled(size, Qt::IgnoreAspectRatio, Qt::SmoothTransformation);
    return rgb;
}

// A view (no copy) of an RGB888 or Grayscale8 image; keep the QImage alive while it is used.
inline cv::Mat cv_view(const QImage& image) {
    const int type = image.format() == QImage::Format_Grayscale8 ? CV_8UC1 : CV_8UC3;
    return cv::Mat(image.height(), image.width(), type, const_cast<uchar*>(image.constBits()),
                   size_t(image.bytesPerLine()));
}

}  // namespace dit::studio
