#include "app/cli/eval_inpaint.h"

#include <QPainter>
#include <algorithm>
#include <cstdio>

#include "studio/result_png.h"

namespace dit::cli {

void eval_inpaint_case(Engine& engine, const Request& base, const studio::WorldScene& scene,
                       const studio::WorldRender& truth, InpaintTally& tally) {
    if (scene.objects.empty()) return;
    // The mask: the first object's outline box grown by 3 px, so its anti-aliased rim goes too.
    const QRect box = scene.objects.front().bbox.toAlignedRect().adjusted(-3, -3, 3, 3).intersected(truth.image.rect());
    QImage mask(truth.image.size(), QImage::Format_Grayscale8);
    mask.fill(0);
    QImage erased = truth.image.convertToFormat(QImage::Format_RGB888);
    {
        QPainter p(&mask);
        p.fillRect(box, QColor(255, 255, 255));
        QPainter e(&erased);
        e.fillRect(box, QColor(studio::world_palette()[scene.background].rgb));
    }
    Request r = base;
    r.prompt = truth.caption;
    r.init_image = studio::from_qimage(erased);
    Mask m;
    m.width = mask.width();
    m.height = mask.height();
    for (int y = 0; y < m.height; ++y) m.value.insert(m.value.end(), mask.constScanLine(y), mask.constScanLine(y) + m.width);
    r.mask = std::move(m);
    r.inpaint_mode = tally.mode;
    r.strength = 1.0f;
    Callbacks cb;
    const Result res = engine.generate(r, cb);
    const QImage image = studio::to_qimage(res.image);
    tally.seconds += res.seconds;
    tally.adherence.add(studio::inpaint_prompt_adherence(scene, image, mask));
    const auto outside = studio::inpaint_outside_diff(erased, image, mask);
    tally.outside_max = std::max(tally.outside_max, outside.max_abs_diff);
    tally.outside_changed += outside.changed_pixels;
    tally.seam += studio::inpaint_seam(image, mask).seam;
    ++tally.cases;
}

void print_inpaint_rows(const InpaintTally& t, const InpaintTally* full) {
    const auto& a = t.adherence;
    const std::string m = "inpaint " + t.mode + ": ";
    auto count = [](const std::string& name, int right, int asked) {
        std::printf("%-44s %5d/%-5d %7.3f\n", name.c_str(), right, asked, asked ? double(right) / asked : 0.0);
    };
    count(m + "object in the mask (col., shape, pos.)", a.colour + a.shape + a.position, 3 * a.objects);
    count(m + "all attributes in the mask", a.right(), a.asked());
    std::printf("%-56s %7d\n", (m + "max abs diff outside the mask (must be 0)").c_str(), t.outside_max);
    std::printf("%-56s %7.3f\n", (m + "seam (border / image gradient)").c_str(), t.cases ? t.seam / t.cases : 0.0);
    if (full && full->adherence.asked() && a.asked())
        std::printf("%-56s %7.3f\n", (m + "attribute score / full mode's").c_str(), a.overall() / std::max(full->adherence.overall(), 1e-9));
}

}  // namespace dit::cli
