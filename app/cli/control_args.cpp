#include "app/cli/control_args.h"

#include <QFileInfo>
#include <QImage>
#include <QImageReader>
#include <charconv>

#include "app/cli/cli_args.h"
#include "engine/error.h"
#include "studio/control/canny.h"
#include "studio/control/pose.h"
#include "studio/control/pose_renderer.h"
#include "studio/result_png.h"

namespace dit::cli {

const char* kControlUsage =
    "  --control SPEC       a control adapter, repeatable: TYPE:FILE[:weight[:start:end]]\n"
    "                       edges:MAP.png | edges-from:IMAGE (Canny) | pose:FILE.json | pose:MAP.png;\n"
    "                       weight default 1, start/end the fraction of the schedule (0:1); the\n"
    "                       adapter is the model's controlnet_TYPE/ folder\n";

namespace {

float number(const std::string& spec, const std::string& text, const char* what) {
    float v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size())
        throw UsageError("--control " + spec + ": " + what + " '" + text + "' is not a number");
    return v;
}

QImage read_image(const std::string& path) {
    if (!QFileInfo::exists(QString::fromStdString(path))) throw Error(path + ": control map file does not exist");
    QImageReader reader(QString::fromStdString(path));
    const QImage img = reader.read();
    if (img.isNull()) throw Error(path + ": cannot read control map: " + reader.errorString().toStdString());
    return img;
}

bool is_json(const std::string& path) {
    return QFileInfo(QString::fromStdString(path)).suffix().compare("json", Qt::CaseInsensitive) == 0;
}

}  // namespace

std::vector<std::string> take_control_flags(std::vector<std::string>& argv) {
    std::vector<std::string> specs, rest;
    for (size_t i = 0; i < argv.size(); ++i) {
        if (argv[i] == "--control") {
            if (i + 1 >= argv.size()) throw UsageError("--control needs a value (TYPE:FILE[:weight[:start:end]])");
            specs.push_back(argv[++i]);
        } else if (argv[i].rfind("--control=", 0) == 0) {
            specs.push_back(argv[i].substr(10));
        } else {
            rest.push_back(argv[i]);
        }
    }
    argv = rest;
    return specs;
}

ControlInput parse_control(const std::string& spec, int width, int height) {
    std::vector<std::string> parts;
    for (size_t begin = 0;;) {
        const size_t colon = spec.find(':', begin);
        parts.push_back(spec.substr(begin, colon - begin));
        if (colon == std::string::npos) break;
        begin = colon + 1;
    }
    if (parts.size() < 2 || parts[0].empty() || parts[1].empty() || parts.size() == 4 || parts.size() > 5)
        throw UsageError("--control " + spec + ": expected TYPE:FILE[:weight[:start:end]]");
    ControlInput c;
    std::string type = parts[0];
    const std::string& file = parts[1];
    if (parts.size() >= 3) c.weight = number(spec, parts[2], "weight");
    if (parts.size() == 5) {
        c.start = number(spec, parts[3], "start");
        c.end = number(spec, parts[4], "end");
    }
    QImage map;
    const QSize size(width, height);
    if (type == "edges-from") {
        // Canny on the image at the output size, so edges are as thin as the map is read.
        QImage img = read_image(file);
        if (img.size() != size) img = img.scaled(size, Qt::IgnoreAspectRatio, Qt::SmoothTransformation);
        map = studio::canny_edges(img);
        type = "edges";
    } else if (type == "pose" && is_json(file)) {
        // Keypoints are checked against the file's canvas (or the output size when it has none).
        const studio::Pose pose = studio::read_pose_json(QString::fromStdString(file), size);
        map = studio::render_pose_map(pose, size);
    } else {
        map = read_image(file);
        if (map.size() != size)
            throw Error(file + ": control map is " + std::to_string(map.width()) + "x" + std::to_string(map.height()) +
                        " but the output is " + std::to_string(width) + "x" + std::to_string(height) +
                        " (render it at the output size)");
    }
    c.type = type;
    c.image = studio::from_qimage(map.convertToFormat(QImage::Format_RGB888));
    return c;
}

}  // namespace dit::cli
