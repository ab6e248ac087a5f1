#include "studio/eval/regional_effect.h"

#include <cmath>
#include <cstring>

#include "engine/error.h"
#include "studio/result_png.h"

namespace dit::studio {
namespace {

int colour_index(const char* name) {
    const auto& pal = world_palette();
    for (size_t i = 0; i < pal.size(); ++i)
        if (std::strcmp(pal[i].name, name) == 0) return int(i);
    throw Error(std::string("regional eval: no palette colour named ") + name);
}

// A half of the canvas, as fractions of its side: the region each template paints.
struct Template {
    const char* prompt;
    const char* region_prompt;
    double x0, y0, x1, y1;  // region rectangle, fractions of the canvas
    WorldShape shape;
    const char* colour;
    int cell;  // where the region's object should appear (inside the region)
    const char* background;
};

// Captions in the world's grammar that leave the region's half empty; region prompts are items
// of that grammar (a size, colour, shape and position).
const Template kTemplates[] = {
    {"a large red circle at the top right and a small blue square at the bottom right on a yellow background",
     "a large green star on the left", 0, 0, 0.5, 1, WorldShape::Star, "green", 3, "yellow"},
    {"a large purple heart on the right on a white background", "a large orange square on the left", 0, 0, 0.5, 1,
     WorldShape::Square, "orange", 3, "white"},
    {"a large blue ring at the bottom on a yellow background", "a large red triangle at the top", 0, 0, 1, 0.5,
     WorldShape::Triangle, "red", 1, "yellow"},
    {"a small green cross at the top left on a pink background", "a large blue circle on the right", 0.5, 0, 1, 1,
     WorldShape::Circle, "blue", 5, "pink"},
};

Mask rect_mask(const QRect& r, int size) {
    Mask m{size, size, std::vector<uint8_t>(size_t(size) * size, 0)};
    for (int y = r.top(); y <= r.bottom(); ++y)
        for (int x = r.left(); x <= r.right(); ++x) m.value[size_t(y) * size + x] = 255;
    return m;
}

}  // namespace

RegionalCase regional_case(int index, int size) {
    const Template& t = kTemplates[size_t(index) % (sizeof(kTemplates) / sizeof(kTemplates[0]))];
    RegionalCase c;
    c.prompt = t.prompt;
    c.region_prompt = t.region_prompt;
    c.region = QRect(QPoint(int(std::lround(t.x0 * size)), int(std::lround(t.y0 * size))),
                     QPoint(int(std::lround(t.x1 * size)) - 1, int(std::lround(t.y1 * size)) - 1));
    c.expected.size = QSize(size, size);
    c.expected.background = colour_index(t.background);
    WorldObject o;
    o.shape = t.shape;
    o.colour = colour_index(t.colour);
    o.size = WorldSize::Large;
    o.cell = t.cell;
    o.extent = 0.25 * size;  // the world's large size
    o.centre = QPointF(size / 3.0 * (t.cell % 3 + 0.5), size / 3.0 * (t.cell / 3 + 0.5));
    o.bbox = world_shape_path(o.shape, o.centre, o.extent).boundingRect();
    o.probe = o.centre;
    c.expected.objects.push_back(o);
    return c;
}

RegionalSummary measure_regional_prompts(Engine& engine, const Request& base, int cases, uint64_t seed,
                                         const std::function<void(const RegionalCaseResult&)>& progress) {
    if (base.width != base.height) throw Error("regional eval: the canvas must be square");
    const int size = base.width;
    RegionalSummary summary;
    Callbacks callbacks;
    for (int i = 0; i < cases; ++i) {
        RegionalCaseResult r;
        r.spec = regional_case(i, size);
        r.seed = seed + uint64_t(i);
        Request req = base;
        req.prompt = r.spec.prompt;
        req.seed = r.seed;
        req.regions.clear();
        const Image without = engine.generate(req, callbacks).image;
        req.regions.push_back({r.spec.region_prompt, rect_mask(r.spec.region, size)});
        const Image with = engine.generate(req, callbacks).image;

        double in_sum = 0, out_sum = 0;
        int64_t in_n = 0, out_n = 0;
        for (int y = 0; y < size; ++y)
            for (int x = 0; x < size; ++x) {
                const bool inside = r.spec.region.contains(x, y);
                for (int c = 0; c < 3; ++c) {
                    const size_t k = (size_t(y) * size + x) * 3 + c;
                    const double d = std::abs(double(with.rgb[k]) - double(without.rgb[k]));
                    (inside ? in_sum : out_sum) += d;
                }
                ++(inside ? in_n : out_n);
            }
        r.change_inside = in_n ? in_sum / (3.0 * in_n) : 0;
        r.change_outside = out_n ? out_sum / (3.0 * out_n) : 0;
        r.image_with = to_qimage(with);
        r.image_without = to_qimage(without);
        r.with = prompt_adherence(r.spec.expected, r.image_with).objects.at(0);
        r.without = prompt_adherence(r.spec.expected, r.image_without).objects.at(0);

        summary.change_inside += r.change_inside / cases;
        summary.change_outside += r.change_outside / cases;
        summary.placed_with += r.placed(r.with);
        summary.placed_without += r.placed(r.without);
        summary.shape_with += r.placed(r.with) && r.with.shape_right;
        summary.shape_without += r.placed(r.without) && r.without.shape_right;
        if (progress) progress(r);
        summary.cases.push_back(std::move(r));
    }
    return summary;
}

}  // namespace dit::studio
