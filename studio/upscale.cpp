#include "studio/upscale.h"

#include <opencv2/imgproc.hpp>

#include "engine/error.h"

namespace dit::studio {

namespace {

Image resized(const Image& img, int width, int height, int interpolation) {
    if (width < 1 || height < 1 || width > 8192 || height > 8192)
        throw Error("resize: " + std::to_string(width) + "x" + std::to_string(height) + " is outside 1 to 8192 pixels a side");
    if (img.empty()) throw Error("resize: there is no picture");
    const cv::Mat src(img.height, img.width, CV_8UC3, const_cast<uint8_t*>(img.rgb.data()));
    Image out{width, height, std::vector<uint8_t>(size_t(width) * height * 3)};
    cv::Mat dst(height, width, CV_8UC3, out.rgb.data());
    cv::resize(src, dst, dst.size(), 0, 0, interpolation);
    return out;
}

}  // namespace

Image lanczos_resize(const Image& img, int width, int height) {
    if (width < 16 || height < 16)
        throw Error("upscale: " + std::to_string(width) + "x" + std::to_string(height) + " is below 16 pixels a side");
    return resized(img, width, height, cv::INTER_LANCZOS4);
}

Image area_resize(const Image& img, int width, int height) { return resized(img, width, height, cv::INTER_AREA); }

}  // namespace dit::studio
