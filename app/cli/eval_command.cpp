// dit-cli eval: the quality harness of the embedded model (docs/eval.md). Generates fixed world
// cases from their captions (or, with --ground-truth, takes the world's own renders) and measures
// prompt adherence, edge and pose fidelity, printing a table whose last line is the figure.
#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>

#include "app/cli/cli_args.h"
#include "app/cli/commands.h"
#include "app/cli/status_line.h"
#include "app/cli/eval_inpaint.h"
#include "app/cli/eval_regional.h"
#include "app/cli/world_control.h"
#include "engine/error.h"
#include "engine/pipeline/engine.h"
#include "studio/eval/control_fidelity.h"
#include "studio/eval/prompt_adherence.h"
#include "studio/result_png.h"
#include "studio/world/world_renderer.h"

namespace dit::cli {
namespace {

const char* kUsage =
    "usage: dit-cli eval [options]\n"
    "  --model DIR          diffusers PixArt folder (default: the embedded model)\n"
    "  --ground-truth       score the world's own renders instead of generating (self-check)\n"
    "  --cases N            number of world cases, 1..10000 (default 48)\n"
    "  --seed S             case seed (default 4): case i is world scene world_scene_seed(S, i),\n"
    "                       generated with seed S + i\n"
    "  --size N             square image size, 32..1024 (default 128)\n"
    "  --steps N            sampling steps (default 20)\n"
    "  --sampler NAME       dpm++2m | ddim | euler | euler_a | lcm | flow_euler | scm (default dpm++2m)\n"
    "  --cfg F              classifier-free guidance scale (default 4.5)\n"
    DIT_CLI_BACKEND_HELP
    DIT_CLI_CACHE_HELP
    "  --edge-tolerance PX  edge F1 matching distance in pixels (default 2)\n"
    "  --inpaint MODES      inpainting cases (each case's first object erased, then inpainted) in\n"
    "                       these modes: comma-separated full, crop, lazy, or none (default full,lazy)\n"
    "  --no-control         skip the runs under the model's controlnet_edges / controlnet_pose\n"
    "                       adapters (by default each case is generated again under each one\n"
    "                       there is, with the scene's own edge map or pose)\n"
    "  --regions            instead: the regional-prompt measurement (a half-canvas region asking\n"
    "                       for one object; pixel change inside vs outside, object placed or not)\n"
    "  --out DIR            save every image (NNNNNN.png) and report.json there\n"
    "  --quiet              no progress line\n"
    "prints per-attribute accuracy, edge and pose fidelity, and the overall attribute accuracy last\n";

constexpr double kPeopleFraction = 0.3;  // as the training world (docs/world.md)

void save_text(const QByteArray& text, const QString& path) {
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(text) != text.size() || !f.commit())
        throw Error(path.toStdString() + ": cannot write: " + f.errorString().toStdString());
}

QJsonObject verdict_json(const studio::ObjectVerdict& v) {
    const auto& pal = studio::world_palette();
    return QJsonObject{{"cell", studio::world_cell_name(v.cell)},
                       {"requested_colour", pal[v.requested_colour].name},
                       {"requested_shape", studio::world_shape_name(v.requested_shape)},
                       {"found", v.found},
                       {"colour", v.colour >= 0 ? QJsonValue(pal[v.colour].name) : QJsonValue()},
                       {"shape", v.shape ? QJsonValue(studio::world_shape_name(*v.shape)) : QJsonValue()},
                       {"centroid", v.found ? QJsonValue(QJsonArray{v.centroid.x(), v.centroid.y()}) : QJsonValue()},
                       {"colour_right", v.colour_right},
                       {"shape_right", v.shape_right},
                       {"position_right", v.position_right}};
}

// Why a "with control" row has no number, or "" when the adapter is there and was run.
std::string control_unavailable(const std::filesystem::path& model_dir, const std::string& type, bool ground_truth,
                                bool off) {
    if (ground_truth) return "not applicable: ground truth has no generation";
    if (off) return "not run (--no-control)";
    if (!std::filesystem::is_directory(model_dir / ("controlnet_" + type)))
        return "not available: the model has no controlnet_" + type + " adapter";
    return "";
}

// One control's measurement, on the caption without positions (so that without the control the
// layout is the model's guess): fidelity without and with the control over the cases that had
// it, and their count.
struct ControlTally {
    std::string type, unavailable;
    double sum = 0, sum_without = 0;
    int cases = 0;
    studio::AdherenceTally adherence;  // prompt adherence of the controlled images
    double mean() const { return cases ? sum / cases : 0; }
    double mean_without() const { return cases ? sum_without / cases : 0; }
};

void row_count(const char* name, int right, int asked) {
    std::printf("%-44s %5d/%-5d %7.3f\n", name, right, asked, asked ? double(right) / asked : 0.0);
}

void row_score(const std::string& name, double score) { std::printf("%-56s %7.3f\n", name.c_str(), score); }

void row_text(const char* name, const std::string& text) { std::printf("%-44s %s\n", name, text.c_str()); }

void print_control_rows(const ControlTally& t, const char* name) {
    char label[96];
    std::snprintf(label, sizeof label, "%s control, caption without positions", t.type.c_str());
    if (!t.unavailable.empty()) return row_text(label, t.unavailable);
    if (!t.cases) return row_text(label, "no case has a person");
    std::printf("%s (%d %s):\n", label, t.cases, t.type == "pose" ? "people" : "cases");
    std::snprintf(label, sizeof label, "  %s without control", name);
    row_score(label, t.mean_without());
    std::snprintf(label, sizeof label, "  %s with control", name);
    row_score(label, t.mean());
    std::snprintf(label, sizeof label, "  attributes right under the %s control", t.type.c_str());
    row_count(label, t.adherence.right(), t.adherence.asked());
}

QJsonValue control_json(const ControlTally& t) {
    if (!t.unavailable.empty()) return QString::fromStdString(t.unavailable);
    return QJsonObject{{"caption", "without positions"}, {"cases", t.cases}, {"score", t.mean()},
                       {"score_without_control", t.mean_without()}, {"attributes_right", t.adherence.right()},
                       {"attributes_asked", t.adherence.asked()}};
}

std::vector<std::string> split_modes(const std::string& list) {
    std::vector<std::string> modes;
    if (list == "none") return modes;
    size_t at = 0;
    while (at <= list.size()) {
        const size_t comma = std::min(list.find(',', at), list.size());
        const std::string m = list.substr(at, comma - at);
        if (m != "full" && m != "crop" && m != "lazy")
            throw UsageError("--inpaint takes full, crop, lazy (comma-separated) or none, got '" + m + "'");
        if (std::find(modes.begin(), modes.end(), m) == modes.end()) modes.push_back(m);
        at = comma + 1;
    }
    std::stable_partition(modes.begin(), modes.end(), [](const std::string& m) { return m == "full"; });
    return modes;
}

}  // namespace

int eval_command(const std::vector<std::string>& argv) {
    if (!argv.empty() && (argv[0] == "--help" || argv[0] == "-h")) {
        std::fputs(kUsage, stdout);
        return 0;
    }
    const Args args(argv,
                    {"model", "cases", "seed", "size", "steps", "sampler", "cfg", "backend", "device", "edge-tolerance", "out",
                     "inpaint", "cache"},
                    {"ground-truth", "quiet", "regions", "no-control"});
    const bool ground_truth = args.on("ground-truth");
    if (ground_truth)
        for (const char* flag : {"model", "steps", "sampler", "cfg", "backend", "device", "cache"})
            if (args.has(flag)) throw UsageError(std::string("--ground-truth generates nothing; it takes no --") + flag);
    const int cases = args.integer("cases", 48);
    if (cases < 1 || cases > 10000) throw UsageError("--cases must be 1..10000, got " + std::to_string(cases));
    const uint64_t seed = args.u64("seed", 4);
    const int size = args.integer("size", 128);
    if (size < 32 || size > 1024) throw UsageError("--size must be 32..1024, got " + std::to_string(size));
    const double tolerance = args.number("edge-tolerance", 2.0f);
    if (!(tolerance >= 0 && tolerance <= 16)) throw UsageError("--edge-tolerance must be in [0, 16]");
    Request base;
    base.model_dir = args.has("model") ? std::filesystem::path(args.str("model")) : default_model_dir();
    base.width = base.height = size;
    base.steps = args.integer("steps", 20);
    if (base.steps < 1 || base.steps > 1000) throw UsageError("--steps must be 1..1000, got " + std::to_string(base.steps));
    base.sampler = args.str("sampler", "dpm++2m");
    base.cfg = args.number("cfg", 4.5f);
    base.backend = backend_arg(args);
    base.cache = cache_arg(args);
    const bool quiet = args.on("quiet");
    std::vector<InpaintTally> inpaint;  // one per mode, full first when asked
    for (const std::string& mode : split_modes(args.str("inpaint", "full,lazy"))) {
        if (mode == "lazy" && base.cache != "off")
            throw UsageError("--cache does not combine with lazy inpainting (--inpaint's default is full,lazy): give --inpaint full, crop or none");
        InpaintTally tally;
        tally.mode = mode;
        inpaint.push_back(std::move(tally));
    }
    QString out;
    if (auto o = args.opt("out")) {
        out = QString::fromStdString(*o);
        if (!QDir().mkpath(out)) throw Error(o->c_str() + std::string(": cannot create the folder"));
    }

    if (args.on("regions")) {
        if (ground_truth) throw UsageError("--regions generates images; it takes no --ground-truth");
        return eval_regions(base, cases, seed, quiet, out);
    }

    studio::WorldOptions world;
    world.size = size;
    world.people_fraction = kPeopleFraction;
    std::vector<ControlTally> controls;
    for (const char* type : {"edges", "pose"}) {
        ControlTally t;
        t.type = type;
        t.unavailable = control_unavailable(base.model_dir, type, ground_truth, args.on("no-control"));
        controls.push_back(t);
    }
    Engine engine;
    Callbacks callbacks;
    studio::AdherenceTally tally;
    double edge_sum = 0, pose_sum = 0, chance_sum = 0;
    int people = 0;
    QJsonArray case_reports;
    double seconds = 0;
    for (int i = 0; i < cases; ++i) {
        const studio::WorldScene scene = studio::make_world_scene(studio::world_scene_seed(seed, uint64_t(i)), world);
        const studio::WorldRender truth = studio::render_world(scene);
        QImage image;
        QJsonObject report_controls;
        Request r = base;
        r.prompt = truth.caption;
        r.seed = seed + uint64_t(i);
        if (ground_truth) {
            image = truth.image;
        } else {
            const Result result = engine.generate(r, callbacks);
            seconds += result.seconds;
            image = studio::to_qimage(result.image);
            for (InpaintTally& t : inpaint) eval_inpaint_case(engine, r, scene, truth, t);
            // The case again from its caption without positions, the same seed, without and
            // with each control (the scene's own map): what the control adds to the layout.
            Request unplaced = r;
            unplaced.prompt = scene.caption(studio::WorldScene::Placement::Unplaced);
            QImage unplaced_image;
            for (ControlTally& t : controls) {
                if (!t.unavailable.empty() || (t.type == "pose" && !scene.person)) continue;
                if (unplaced_image.isNull()) unplaced_image = studio::to_qimage(engine.generate(unplaced, callbacks).image);
                Request controlled = unplaced;
                controlled.controls = {world_control(t.type, scene, truth, size)};
                const QImage out_image = studio::to_qimage(engine.generate(controlled, callbacks).image);
                const double fidelity = world_control_fidelity(t.type, scene, truth, out_image);
                const double without = world_control_fidelity(t.type, scene, truth, unplaced_image);
                t.sum += fidelity;
                t.sum_without += without;
                ++t.cases;
                t.adherence.add(studio::prompt_adherence(scene, out_image));
                report_controls[QString::fromStdString(t.type)] = QJsonObject{{"with", fidelity}, {"without", without}};
            }
        }
        const studio::AdherenceResult adherence = studio::prompt_adherence(scene, image);
        tally.add(adherence);
        const studio::EdgeScore edges = studio::edge_fidelity(image, truth.edges, tolerance);
        edge_sum += edges.f1;
        QJsonObject report{{"index", i},
                           {"scene_seed", QString::number(scene.seed)},
                           {"caption", QString::fromStdString(truth.caption)},
                           {"background", studio::world_palette()[scene.background].name},
                           {"found_background", adherence.background >= 0 ? QJsonValue(studio::world_palette()[adherence.background].name) : QJsonValue()},
                           {"background_right", adherence.background_right},
                           {"attributes_right", adherence.attributes_right()},
                           {"attributes_asked", adherence.attributes_asked()},
                           {"edge_f1", edges.f1}};
        QJsonArray objects;
        for (const auto& v : adherence.objects) objects.append(verdict_json(v));
        report["objects"] = objects;
        if (!report_controls.isEmpty()) report["control_unplaced"] = report_controls;
        if (scene.person) {
            const auto& pal = studio::world_palette();
            const studio::PoseScore pose =
                studio::pose_fidelity(image, scene.pose(), pal[scene.person->colour].rgb, pal[scene.background].rgb);
            pose_sum += pose.mean;
            chance_sum += pose.chance;
            ++people;
            report["pose_fidelity"] = pose.mean;
            report["pose_chance"] = pose.chance;
        }
        if (!out.isEmpty()) {
            const QString stem = QString("%1").arg(i, 6, 10, QChar('0'));
            if (ground_truth) {
                if (!image.save(QDir(out).filePath(stem + ".png"), "PNG"))
                    throw Error(QDir(out).filePath(stem + ".png").toStdString() + ": cannot write PNG");
            } else {
                studio::save_result_png(QDir(out).filePath(stem + ".png"), studio::from_qimage(image), r);
            }
            report["image"] = stem + ".png";
        }
        case_reports.append(report);
        if (!quiet) {
            status_line("eval: %d/%d cases", i + 1, cases);
        }
    }
    end_status_line();

    const double edge_f1 = edge_sum / cases, pose = people ? pose_sum / people : 0;
    const double pose_chance = people ? chance_sum / people : 0;
    if (ground_truth)
        std::printf("dit-cli eval: %d world cases (seed %llu, %d px), ground truth (the world's own images)\n", cases,
                    static_cast<unsigned long long>(seed), size);
    else
        std::printf("dit-cli eval: %d world cases (seed %llu, %d px), model %s, %d steps %s, cfg %g, %s, %.1f s\n",
                    cases, static_cast<unsigned long long>(seed), size, base.model_dir.string().c_str(), base.steps,
                    base.sampler.c_str(), base.cfg, (base.backend + (base.cache == "off" ? "" : ", cache " + base.cache)).c_str(),
                    seconds);
    std::printf("%-44s %11s %7s\n", "metric", "right/asked", "score");
    row_count("colour", tally.colour, tally.objects);
    row_count("shape", tally.shape, tally.objects);
    row_count("position", tally.position, tally.objects);
    row_count("background", tally.background, tally.scenes);
    char name[96];
    std::snprintf(name, sizeof name, "edge F1, no control (tolerance %g px)", tolerance);
    row_score(name, edge_f1);
    if (people) {
        std::snprintf(name, sizeof name, "pose fidelity, no control (%d people)", people);
        row_score(name, pose);
        row_score("  its chance level (random points in the figure's box)", pose_chance);
    } else {
        row_text("pose fidelity, no control", "no case has a person");
    }
    print_control_rows(controls[0], "edge F1");
    print_control_rows(controls[1], "pose fidelity");
    if (ground_truth)
        row_text("inpainting", "not applicable: ground truth has no generation");
    else if (inpaint.empty())
        row_text("inpainting", "not run (--inpaint none)");
    for (const InpaintTally& t : ground_truth ? std::vector<InpaintTally>{} : inpaint)
        print_inpaint_rows(t, inpaint.front().mode == "full" && t.mode != "full" ? &inpaint.front() : nullptr);
    row_count("overall attribute accuracy", tally.right(), tally.asked());

    if (!out.isEmpty()) {
        const QJsonObject summary{{"colour", tally.colour_accuracy()},     {"shape", tally.shape_accuracy()},
                                  {"position", tally.position_accuracy()}, {"background", tally.background_accuracy()},
                                  {"overall", tally.overall()},            {"attributes_right", tally.right()},
                                  {"attributes_asked", tally.asked()},     {"edge_f1_without_control", edge_f1},
                                  {"pose_fidelity_without_control", people ? QJsonValue(pose) : QJsonValue()},
                                  {"pose_chance_level", people ? QJsonValue(pose_chance) : QJsonValue()},
                                  {"people", people},
                                  {"edge_control", control_json(controls[0])},
                                  {"pose_control", control_json(controls[1])}};
        const QJsonObject settings{{"cases", cases},
                                   {"seed", QString::number(seed)},
                                   {"size", size},
                                   {"ground_truth", ground_truth},
                                   {"model", ground_truth ? QJsonValue() : QJsonValue(QString::fromStdString(base.model_dir.string()))},
                                   {"steps", base.steps},
                                   {"sampler", QString::fromStdString(base.sampler)},
                                   {"cfg", base.cfg},
                                   {"backend", QString::fromStdString(base.backend)},
                                   {"cache", QString::fromStdString(base.cache)},
                                   {"edge_tolerance", tolerance},
                                   {"people_fraction", kPeopleFraction}};
        QJsonObject inpainting;
        for (const InpaintTally& t : ground_truth ? std::vector<InpaintTally>{} : inpaint)
            inpainting[QString::fromStdString(t.mode)] =
                QJsonObject{{"cases", t.cases},
                            {"attributes_right", t.adherence.right()},
                            {"attributes_asked", t.adherence.asked()},
                            {"score", t.adherence.overall()},
                            {"outside_max_abs_diff", t.outside_max},
                            {"seam", t.cases ? t.seam / t.cases : 0.0},
                            {"seconds", t.seconds}};
        save_text(QJsonDocument(QJsonObject{{"settings", settings}, {"summary", summary}, {"inpainting", inpainting},
                                            {"cases", case_reports}})
                      .toJson(QJsonDocument::Indented),
                  QDir(out).filePath("report.json"));
    }
    return 0;
}

}  // namespace dit::cli
