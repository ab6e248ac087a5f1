// dit-cli world: writes scenes of the procedural world (docs/world.md) for training and eval;
// dit-cli pose-map: renders an OpenPose JSON with the studio's pose renderer.
#include <QDir>
#include <QFile>
#include <QImage>
#include <QJsonDocument>
#include <QSaveFile>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <thread>

#include "app/cli/cli_args.h"
#include "app/cli/commands.h"
#include "app/cli/status_line.h"
#include "engine/error.h"
#include "studio/control/pose.h"
#include "studio/control/pose_renderer.h"
#include "studio/world/world_renderer.h"

namespace dit::cli {
namespace {

const char* kWorldUsage =
    "usage: dit-cli world --count N --out DIR [options]\n"
    "  --count N             number of scenes (>= 1)\n"
    "  --out DIR             output folder (created; existing scene files are overwritten)\n"
    "  --size N              square image size in pixels, 32..4096 (default 128)\n"
    "  --seed S              world seed (default 0); scene i uses world_scene_seed(S, i)\n"
    "  --people-fraction F   share of scenes with a stick figure, [0, 1] (default 0.3)\n"
    "  --canny-low F --canny-high F   edge thresholds (default 100, 200)\n"
    "  --jobs N              worker threads (default: all cores)\n"
    "  --quiet               no progress line\n"
    "writes DIR/NNNNNN.png, NNNNNN_edges.png, NNNNNN_pose.png, NNNNNN.json (caption + layout),\n"
    "DIR/captions.txt (one caption per line, in scene order) and DIR/world.json (the settings)\n";

const char* kPoseMapUsage =
    "usage: dit-cli pose-map --json FILE --out PNG [--width N --height N]\n"
    "  --json FILE           OpenPose JSON (people[].pose_keypoints_2d, optional hands and face)\n"
    "  --out PNG             the OpenPose control map\n"
    "  --width N --height N  output size (default: the JSON's canvas_width x canvas_height)\n";

void save_image(const QImage& img, const QString& path) {
    if (!img.save(path, "PNG")) throw Error(path.toStdString() + ": cannot write PNG");
}

void save_text(const QByteArray& text, const QString& path) {
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(text) != text.size() || !f.commit())
        throw Error(path.toStdString() + ": cannot write: " + f.errorString().toStdString());
}

}  // namespace

int world_command(const std::vector<std::string>& argv) {
    if (argv.size() == 1 && (argv[0] == "--help" || argv[0] == "-h")) {
        std::fputs(kWorldUsage, stdout);
        return 0;
    }
    const Args args(argv, {"count", "out", "size", "seed", "people-fraction", "canny-low", "canny-high", "jobs"},
                    {"quiet"});
    if (!args.has("count")) throw UsageError("--count is required");
    if (!args.has("out")) throw UsageError("--out is required");
    const int count = args.integer("count", 0);
    if (count < 1) throw UsageError("--count must be at least 1, got " + std::to_string(count));
    studio::WorldOptions options;
    options.size = args.integer("size", 128);
    if (options.size < 32 || options.size > 4096)
        throw UsageError("--size must be 32..4096, got " + std::to_string(options.size));
    options.people_fraction = args.number("people-fraction", 0.3f);
    if (!(options.people_fraction >= 0 && options.people_fraction <= 1))
        throw UsageError("--people-fraction must be in [0, 1], got " + args.str("people-fraction"));
    const uint64_t seed = args.u64("seed", 0);
    studio::CannyOptions canny;
    canny.low = args.number("canny-low", float(canny.low));
    canny.high = args.number("canny-high", float(canny.high));
    if (canny.low < 0 || canny.low > canny.high)
        throw UsageError("--canny-low/--canny-high must satisfy 0 <= low <= high");
    const int jobs = std::clamp(args.integer("jobs", int(std::max(1u, std::thread::hardware_concurrency()))), 1, 256);
    const bool quiet = args.on("quiet");

    const QString out = QString::fromStdString(args.str("out"));
    if (!QDir().mkpath(out)) throw Error(out.toStdString() + ": cannot create the folder");
    const QDir dir(out);

    // Scenes are independent, so workers take the next index; captions are kept by index and
    // written in order at the end.
    std::vector<std::string> captions(count);
    std::atomic<int> next{0}, done{0};
    std::mutex error_mutex;
    std::string first_error;
    const auto start = std::chrono::steady_clock::now();
    auto work = [&] {
        for (int i; (i = next.fetch_add(1)) < count;) {
            try {
                const studio::WorldScene scene = studio::make_world_scene(studio::world_scene_seed(seed, uint64_t(i)), options);
                const studio::WorldRender r = studio::render_world(scene, canny);
                const QString stem = QString("%1").arg(i, 6, 10, QChar('0'));
                save_image(r.image, dir.filePath(stem + ".png"));
                save_image(r.edges, dir.filePath(stem + "_edges.png"));
                save_image(r.pose, dir.filePath(stem + "_pose.png"));
                QJsonObject layout = studio::world_layout(scene);
                layout["index"] = i;
                layout["files"] = QJsonObject{{"image", stem + ".png"}, {"edges", stem + "_edges.png"}, {"pose", stem + "_pose.png"}};
                save_text(QJsonDocument(layout).toJson(QJsonDocument::Indented), dir.filePath(stem + ".json"));
                captions[i] = r.caption;
            } catch (const std::exception& e) {
                std::lock_guard lock(error_mutex);
                if (first_error.empty()) first_error = e.what();
                next = count;  // stop every worker
                return;
            }
            const int d = ++done;
            if (!quiet && (d % 100 == 0 || d == count)) {
                std::lock_guard lock(error_mutex);
                status_line("world: %d/%d scenes", d, count);
            }
        }
    };
    std::vector<std::thread> pool;
    for (int t = 1; t < std::min(jobs, count); ++t) pool.emplace_back(work);
    work();
    for (auto& t : pool) t.join();
    end_status_line();
    if (!first_error.empty()) throw Error(first_error);

    QByteArray text;
    for (const std::string& c : captions) text += QByteArray::fromStdString(c) + '\n';
    save_text(text, dir.filePath("captions.txt"));
    const QJsonObject settings{{"generator", "dit-cli world"}, {"count", count}, {"seed", QString::number(seed)},
                               {"size", options.size}, {"people_fraction", options.people_fraction},
                               {"canny_low", canny.low}, {"canny_high", canny.high}};
    save_text(QJsonDocument(settings).toJson(QJsonDocument::Indented), dir.filePath("world.json"));
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!quiet) std::fprintf(stderr, "world: %d scenes in %.2f s (%.0f per minute) -> %s\n", count, seconds,
                             count / seconds * 60, out.toStdString().c_str());
    return 0;
}

int pose_map_command(const std::vector<std::string>& argv) {
    if (argv.size() == 1 && (argv[0] == "--help" || argv[0] == "-h")) {
        std::fputs(kPoseMapUsage, stdout);
        return 0;
    }
    const Args args(argv, {"json", "out", "width", "height"}, {});
    if (!args.has("json")) throw UsageError("--json is required");
    if (!args.has("out")) throw UsageError("--out is required");
    if (args.has("width") != args.has("height")) throw UsageError("--width and --height go together");
    QSize size;
    if (args.has("width")) {
        size = QSize(args.integer("width", 0), args.integer("height", 0));
        if (size.width() < 1 || size.height() < 1 || size.width() > 16384 || size.height() > 16384)
            throw UsageError("--width/--height must be 1..16384");
    }
    const QString json = QString::fromStdString(args.str("json"));
    const studio::Pose pose = studio::read_pose_json(json, size);
    if (!size.isValid()) size = pose.canvas;
    if (!size.isValid())
        throw Error(json.toStdString() + ": no canvas_width/canvas_height; pass --width and --height");
    save_image(studio::render_pose_map(pose, size), QString::fromStdString(args.str("out")));
    return 0;
}

}  // namespace dit::cli
