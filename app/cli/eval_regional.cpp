#include "app/cli/eval_regional.h"
#include "app/cli/status_line.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>
#include <cstdio>

#include "engine/error.h"
#include "studio/eval/regional_effect.h"

namespace dit::cli {
namespace {

QJsonObject verdict(const studio::ObjectVerdict& v) {
    const auto& pal = studio::world_palette();
    return QJsonObject{{"found", v.found},
                       {"colour", v.colour >= 0 ? QJsonValue(pal[v.colour].name) : QJsonValue()},
                       {"shape", v.shape ? QJsonValue(studio::world_shape_name(*v.shape)) : QJsonValue()},
                       {"colour_right", v.colour_right},
                       {"shape_right", v.shape_right},
                       {"position_right", v.position_right}};
}

}  // namespace

int eval_regions(const Request& base, int cases, uint64_t seed, bool quiet, const QString& out) {
    Engine engine;
    int done = 0;
    const auto summary = studio::measure_regional_prompts(engine, base, cases, seed, [&](const studio::RegionalCaseResult& r) {
        ++done;
        if (!quiet) {
            status_line("regional case %d/%d: inside %.1f outside %.1f ", done, cases, r.change_inside, r.change_outside);
        }
        if (!out.isEmpty()) {
            const QString stem = QDir(out).filePath(QString("%1").arg(done - 1, 6, 10, QChar('0')));
            r.image_without.save(stem + "_without.png");
            r.image_with.save(stem + "_with.png");
        }
    });
    end_status_line();

    std::printf("regional prompts: %d cases, %dx%d, %d steps, cfg %g, seed %llu\n", cases, base.width, base.height,
                base.steps, double(base.cfg), static_cast<unsigned long long>(seed));
    std::printf("%-56s %7.2f\n", "mean |change| inside the region (0..255)", summary.change_inside);
    std::printf("%-56s %7.2f\n", "mean |change| outside the region (0..255)", summary.change_outside);
    std::printf("%-44s %5d/%-5d %7.3f\n", "region's object placed (colour, cell), without", summary.placed_without,
                cases, double(summary.placed_without) / cases);
    std::printf("%-44s %5d/%-5d %7.3f\n", "region's object placed (colour, cell), with", summary.placed_with, cases,
                double(summary.placed_with) / cases);
    std::printf("%-44s %5d/%-5d %7.3f\n", "... and its shape right, with", summary.shape_with, cases,
                double(summary.shape_with) / cases);
    std::printf("%-56s %7.3f\n", "outside / inside change (lower: the region stays local)",
                summary.outside_over_inside());

    if (!out.isEmpty()) {
        QJsonArray list;
        for (const auto& r : summary.cases)
            list.append(QJsonObject{{"prompt", QString::fromStdString(r.spec.prompt)},
                                    {"region_prompt", QString::fromStdString(r.spec.region_prompt)},
                                    {"region", QJsonArray{r.spec.region.x(), r.spec.region.y(), r.spec.region.width(),
                                                          r.spec.region.height()}},
                                    {"seed", QString::number(r.seed)},
                                    {"change_inside", r.change_inside},
                                    {"change_outside", r.change_outside},
                                    {"object_without", verdict(r.without)},
                                    {"object_with", verdict(r.with)}});
        const QJsonObject doc{{"change_inside", summary.change_inside},
                              {"change_outside", summary.change_outside},
                              {"outside_over_inside", summary.outside_over_inside()},
                              {"placed_with", summary.placed_with},
                              {"placed_without", summary.placed_without},
                              {"shape_with", summary.shape_with},
                              {"cases", list}};
        QSaveFile f(QDir(out).filePath("regions.json"));
        const QByteArray text = QJsonDocument(doc).toJson(QJsonDocument::Indented);
        if (!f.open(QIODevice::WriteOnly) || f.write(text) != text.size() || !f.commit())
            throw Error(f.fileName().toStdString() + ": cannot write: " + f.errorString().toStdString());
    }
    return 0;
}

}  // namespace dit::cli
