#pragma once
// The edge control map: OpenCV's Canny, as ControlNet's canny annotator runs it (cv2.Canny on
// the 8-bit image, thresholds 100/200 by default), white edges on black. The one Canny path of
// the project: the studio's edge panel, dit-cli and the training data all call canny_edges.
#include <QImage>

namespace dit::studio {

struct CannyOptions {
    double low = 100, high = 200;  // hysteresis thresholds on the Sobel gradient magnitude
    // Gaussian blur before Canny: kernel size (odd, >= 3; 0 = no blur) and sigma (0 = from the
    // kernel size, OpenCV's rule). ControlNet's annotator does not blur.
    int blur_kernel = 0;
    double blur_sigma = 0;
    // ControlNet runs Canny on the RGB image, where OpenCV takes each pixel's strongest channel
    // gradient, so edges between colours of equal brightness (red on green) are found. Set
    // `grayscale` to run on the luma image instead (classic Canny).
    bool grayscale = false;
    bool l2_gradient = false;  // OpenCV's L2gradient (default L1, as the annotator)
};

// Format_Grayscale8 of the image's size: 255 on edges, 0 elsewhere. Throws dit::Error for a
// null image or bad options (thresholds negative or low > high, even blur kernel).
QImage canny_edges(const QImage& image, const CannyOptions& options = {});

}  // namespace dit::studio
