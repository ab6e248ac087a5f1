#include "studio/eval/prompt_adherence.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "engine/error.h"
#include "studio/eval/eval_image.h"

namespace dit::studio {
namespace {

// Shape-finding thresholds, in units of the requested object's drawing square (extent^2): the
// smallest world shape (the star) covers 0.33 of it, so 0.1 finds a shape drawn at 55% scale
// but not stray pixels.
constexpr double kMinObjectArea = 0.10;

struct Lab {
    float l, a, b;
};

const std::vector<Lab>& palette_lab() {
    static const std::vector<Lab> lab = [] {
        std::vector<Lab> out;
        for (const WorldColour& c : world_palette()) {
            cv::Mat px(1, 1, CV_32FC3, cv::Scalar(qRed(c.rgb) / 255.f, qGreen(c.rgb) / 255.f, qBlue(c.rgb) / 255.f));
            cv::Mat lab;
            cv::cvtColor(px, lab, cv::COLOR_RGB2Lab);
            const cv::Vec3f v = lab.at<cv::Vec3f>(0, 0);
            out.push_back({v[0], v[1], v[2]});
        }
        return out;
    }();
    return lab;
}

int nearest_palette(const cv::Vec3f& v) {
    const auto& pal = palette_lab();
    int best = -1;
    double best_d = kEvalMaxDeltaE * kEvalMaxDeltaE;
    for (size_t i = 0; i < pal.size(); ++i) {
        const double dl = v[0] - pal[i].l, da = v[1] - pal[i].a, db = v[2] - pal[i].b;
        const double d = dl * dl + da * da + db * db;
        if (d <= best_d) best_d = d, best = int(i);
    }
    return best;
}

// Palette class of every pixel, -1 where none is near: [H, W] CV_8S.
cv::Mat palette_classes(const cv::Mat& rgb) {
    cv::Mat f, lab;
    rgb.convertTo(f, CV_32FC3, 1.0 / 255.0);
    cv::cvtColor(f, lab, cv::COLOR_RGB2Lab);
    cv::Mat classes(rgb.rows, rgb.cols, CV_8S);
    for (int y = 0; y < rgb.rows; ++y)
        for (int x = 0; x < rgb.cols; ++x) classes.at<int8_t>(y, x) = int8_t(nearest_palette(lab.at<cv::Vec3f>(y, x)));
    return classes;
}

ShapeFeatures features_of(const cv::Mat& mask_in) {
    ShapeFeatures f;
    cv::Mat mask;
    cv::copyMakeBorder(mask_in != 0, mask, 2, 2, 2, 2, cv::BORDER_CONSTANT, 0);
    std::vector<std::vector<cv::Point>> contours;
    std::vector<cv::Vec4i> hierarchy;
    cv::findContours(mask, contours, hierarchy, cv::RETR_CCOMP, cv::CHAIN_APPROX_NONE);
    int outer = -1;
    double outer_area = 0;
    for (size_t i = 0; i < contours.size(); ++i) {
        if (hierarchy[i][3] >= 0) continue;  // a hole
        const double a = cv::contourArea(contours[i]);
        if (outer < 0 || a > outer_area) outer = int(i), outer_area = a;
    }
    if (outer < 0 || outer_area <= 0) return f;
    const auto& c = contours[outer];
    double holes = 0;
    for (int h = hierarchy[outer][2]; h >= 0; h = hierarchy[h][0]) holes += cv::contourArea(contours[h]);
    std::vector<cv::Point> hull;
    cv::convexHull(c, hull);
    const cv::Rect box = cv::boundingRect(c);
    const double perimeter = cv::arcLength(c, true);
    std::vector<cv::Point> poly;
    cv::approxPolyDP(c, poly, 0.03 * perimeter, true);
    f.area = outer_area;
    f.hole_ratio = holes / outer_area;
    f.solidity = outer_area / std::max(1.0, cv::contourArea(hull));
    // Contours run through pixel centres, so the box is one pixel short of the region each way.
    f.extent = outer_area / std::max(1.0, double(box.width - 1) * (box.height - 1));
    f.circularity = 4 * M_PI * outer_area / std::max(1.0, perimeter * perimeter);
    f.vertices = int(poly.size());
    // Row widths of the filled outline (holes filled), for "narrow on top" (triangle, star).
    cv::Mat filled = cv::Mat::zeros(mask.size(), CV_8U);
    cv::drawContours(filled, contours, outer, cv::Scalar(255), cv::FILLED);
    const int top_rows = std::max(1, (box.height + 3) / 4);
    double widest = 0, top_sum = 0;
    for (int y = box.y; y < box.y + box.height; ++y) {
        const double w = cv::countNonZero(filled.row(y));
        widest = std::max(widest, w);
        if (y < box.y + top_rows) top_sum += w;
    }
    f.top_width = widest > 0 ? top_sum / top_rows / widest : 0;
    return f;
}

}  // namespace

int classify_palette_colour(QRgb rgb) {
    cv::Mat px(1, 1, CV_32FC3, cv::Scalar(qRed(rgb) / 255.f, qGreen(rgb) / 255.f, qBlue(rgb) / 255.f));
    cv::Mat lab;
    cv::cvtColor(px, lab, cv::COLOR_RGB2Lab);
    return nearest_palette(lab.at<cv::Vec3f>(0, 0));
}

ShapeFeatures shape_features(const QImage& mask) {
    if (mask.isNull()) return {};
    const QImage g = mask.convertToFormat(QImage::Format_Grayscale8);
    const cv::Mat m(g.height(), g.width(), CV_8UC1, const_cast<uchar*>(g.constBits()), size_t(g.bytesPerLine()));
    return features_of(m);
}

std::optional<WorldShape> classify_shape(const ShapeFeatures& f) {
    if (f.area <= 0) return std::nullopt;
    // Thresholds sit midway between the classes' ranges measured on 300 rendered scenes at
    // 128 px (test_eval prints them; docs/eval.md has the table): a ring has a hole; a star is
    // the least solid shape, a cross next; a triangle is narrow on top, a square fills its box,
    // and a heart's notch and point make it far less circular than a circle.
    if (f.hole_ratio > 0.12) return WorldShape::Ring;
    if (f.solidity < 0.67) return WorldShape::Star;
    if (f.solidity < 0.84) return WorldShape::Cross;
    if (f.top_width < 0.39) return WorldShape::Triangle;
    if (f.extent > 0.92) return WorldShape::Square;
    if (f.circularity < 0.795) return WorldShape::Heart;
    return WorldShape::Circle;
}

int AdherenceResult::attributes_right() const {
    int n = background_right ? 1 : 0;
    for (const ObjectVerdict& o : objects) n += int(o.colour_right) + int(o.shape_right) + int(o.position_right);
    return n;
}

void AdherenceTally::add(const AdherenceResult& r) {
    ++scenes;
    background += r.background_right;
    for (const ObjectVerdict& o : r.objects) {
        ++objects;
        colour += o.colour_right;
        shape += o.shape_right;
        position += o.position_right;
    }
}

AdherenceResult prompt_adherence(const WorldScene& scene, const QImage& image) {
    if (image.isNull()) throw Error("prompt adherence: the image is empty");
    const QImage rgb_image = eval_rgb(image, scene.size);
    const cv::Mat rgb = cv_view(rgb_image);
    const cv::Mat classes = palette_classes(rgb);
    const int w = rgb.cols, h = rgb.rows;
    const int n_colours = int(world_palette().size());

    // Background: the most common palette colour outside every requested object and person
    // (their boxes grown by 2 px for antialiasing).
    cv::Mat outside(h, w, CV_8U, cv::Scalar(255));
    auto exclude = [&](const QRectF& r) {
        const cv::Rect box(int(std::floor(r.left())) - 2, int(std::floor(r.top())) - 2, int(std::ceil(r.width())) + 5,
                           int(std::ceil(r.height())) + 5);
        outside(box & cv::Rect(0, 0, w, h)).setTo(0);
    };
    for (const WorldObject& o : scene.objects) exclude(o.bbox);
    if (scene.person) exclude(scene.person->bbox);
    std::vector<int> counts(n_colours, 0);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            if (outside.at<uint8_t>(y, x) && classes.at<int8_t>(y, x) >= 0) ++counts[classes.at<int8_t>(y, x)];
    AdherenceResult result;
    const auto most = std::max_element(counts.begin(), counts.end());
    if (*most > 0) result.background = int(most - counts.begin());
    result.background_right = result.background == scene.background;

    for (const WorldObject& o : scene.objects) {
        ObjectVerdict v;
        v.cell = o.cell;
        v.requested_colour = o.colour;
        v.requested_shape = o.shape;
        const int row = o.cell / 3, col = o.cell % 3;
        const cv::Rect cell(col * w / 3, row * h / 3, (col + 1) * w / 3 - col * w / 3, (row + 1) * h / 3 - row * h / 3);
        // The dominant non-background colour of the cell.
        std::vector<int> in_cell(n_colours, 0);
        for (int y = cell.y; y < cell.y + cell.height; ++y)
            for (int x = cell.x; x < cell.x + cell.width; ++x) {
                const int c = classes.at<int8_t>(y, x);
                if (c >= 0 && c != result.background) ++in_cell[c];
            }
        const auto top = std::max_element(in_cell.begin(), in_cell.end());
        const double extent = o.extent * w / double(scene.size.width());
        const double min_area = kMinObjectArea * extent * extent;
        if (*top >= min_area) {
            const int colour = int(top - in_cell.begin());
            // That colour's connected region (over the whole image, so a flood is seen whole)
            // with the most pixels in the cell; an object only when it is big enough (noise has
            // every colour in every cell, but in specks).
            const cv::Mat mask = classes == colour;
            cv::Mat labels, stats, centroids;
            const int n = cv::connectedComponentsWithStats(mask, labels, stats, centroids, 8, CV_32S);
            std::vector<int> share(n, 0);
            for (int y = cell.y; y < cell.y + cell.height; ++y)
                for (int x = cell.x; x < cell.x + cell.width; ++x) ++share[labels.at<int>(y, x)];
            share[0] = 0;  // not the colour
            const int best = int(std::max_element(share.begin(), share.end()) - share.begin());
            if (best > 0 && stats.at<int>(best, cv::CC_STAT_AREA) >= min_area) {
                const cv::Rect box(stats.at<int>(best, cv::CC_STAT_LEFT), stats.at<int>(best, cv::CC_STAT_TOP),
                                   stats.at<int>(best, cv::CC_STAT_WIDTH), stats.at<int>(best, cv::CC_STAT_HEIGHT));
                v.found = true;
                v.colour = colour;
                v.region = QRect(box.x, box.y, box.width, box.height);
                v.centroid = QPointF(centroids.at<double>(best, 0), centroids.at<double>(best, 1));
                v.features = features_of(labels(box) == best);
                v.shape = classify_shape(v.features);
                v.colour_right = v.colour == o.colour;
                v.shape_right = v.shape && *v.shape == o.shape;
                // Rough position: the region is the requested object (its colour or its shape is
                // right, else any blob of texture would count), its centre of mass lies in the
                // requested cell, and it is an object there, not a flood wider or taller than a cell.
                const double cx = v.centroid.x(), cy = v.centroid.y();
                v.position_right = (v.colour_right || v.shape_right) && cx >= cell.x && cx < cell.x + cell.width &&
                                   cy >= cell.y && cy < cell.y + cell.height && box.width <= cell.width + 1 &&
                                   box.height <= cell.height + 1;
            }
        }
        result.objects.push_back(v);
    }
    return result;
}

}  // namespace dit::studio
