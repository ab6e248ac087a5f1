#include "studio/upscale.h"

#include <opencv2/imgproc.hpp>

#include "engine/error.h"

namespace dit::studio {

Image lanczos_resize(const Image& img, int width, int height) {
    if (width < 16 || height < 16 || width > 8192 || height > 8192)
        throw Error("upscale: " + std::to_string(width) + "x" + std::to_string(height) +
                    " is outside 16 to 8192 pixels a side");
    if (img.empty()) throw Error("upscale: there is no picture");
    const cv::Mat src(img.height, img.width, CV_8UC3, const_cast<uint8_t*>(img.rgb.data()));
    Image out{width, height, std::vector<uint8_t>(size_t(width) * height * 3)};
    cv::Mat dst(height, width, CV_8UC3, out.rgb.data());
    cv::resize(src, dst, dst.size(), 0, 0, cv::INTER_LANCZOS4);
    return out;
}

}  // namespace dit::studio
