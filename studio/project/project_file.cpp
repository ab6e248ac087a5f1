#include "studio/project/project_file.h"

#include <cmath>

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QImageReader>
#include <QImageWriter>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRandomGenerator>
#include <QSaveFile>
#include <functional>

#include "engine/error.h"
#include "studio/atomic_file.h"
#include "studio/control/pose.h"
#include "studio/result_png.h"

namespace dit::studio {

namespace {

const char* kFormat = "dit-studio-project";
constexpr int kMaxCanvas = 16384;

[[noreturn]] void fail(const QString& msg) { throw Error(msg.toStdString()); }

void write_png(const QString& path, const QImage& img) {
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly)) fail(path + ": cannot write: " + f.errorString());
    QImageWriter w(&f, "png");
    if (!w.write(img)) {
        f.cancelWriting();
        fail(path + ": cannot write PNG: " + w.errorString());
    }
    if (!f.commit()) fail(path + ": cannot write: " + f.errorString());
}

// --- Migrations: kMigrations[v] turns a version-v object into version v + 1.

// v0 (the first studio builds): a flat object with no "format", no pose, regions or edges.
//   {"version": 0, "width", "height", "prompt", "negative", "image", "mask",
//    "model", "steps", "cfg", "seed", "sampler"}
QJsonObject migrate_v0_to_v1(const QJsonObject& v0) {
    QJsonObject v1;
    v1["format"] = kFormat;
    v1["version"] = 1;
    v1["canvas"] = QJsonObject{{"width", v0["width"]}, {"height", v0["height"]}};
    v1["layers"] = QJsonObject{{"image", v0.contains("image") ? v0["image"] : QJsonValue()},
                               {"mask", v0.contains("mask") ? v0["mask"] : QJsonValue()},
                               {"edges", QJsonValue()}, {"pose", QJsonValue()}};
    v1["regions"] = QJsonArray();
    v1["prompt"] = v0["prompt"].toString();
    v1["negative_prompt"] = v0["negative"].toString();
    QJsonObject s{{"width", v0["width"]}, {"height", v0["height"]}, {"random_seed", false}};
    for (auto [from, to] : {std::pair{"model", "model_dir"}, {"steps", "steps"}, {"cfg", "cfg"},
                            {"seed", "seed"}, {"sampler", "sampler"}})
        if (v0.contains(QLatin1String(from))) s[QLatin1String(to)] = v0[QLatin1String(from)];
    v1["settings"] = s;
    return v1;
}

// v1 -> v2: a pose background to trace (none in a v1 file). v2 settings may carry
// lazy_refresh and controls; v1 settings have neither, and absent fields keep their defaults.
QJsonObject migrate_v1_to_v2(const QJsonObject& v1) {
    QJsonObject v2 = v1;
    v2["version"] = 2;
    if (v1["layers"].isObject()) {
        QJsonObject layers = v1["layers"].toObject();
        layers["pose_background"] = QJsonValue();
        v2["layers"] = layers;
    }
    v2["pose_background_opacity"] = 0.5;
    return v2;
}

// v2 -> v3: the document's results (none in a v2 file).
QJsonObject migrate_v2_to_v3(const QJsonObject& v2) {
    QJsonObject v3 = v2;
    v3["version"] = 3;
    v3["results"] = QJsonArray();
    return v3;
}

// v3 -> v4: the image layer stack; a v3 picture becomes its one layer, "Background".
QJsonObject migrate_v3_to_v4(const QJsonObject& v3) {
    QJsonObject v4 = v3;
    v4["version"] = 4;
    QJsonArray stack;
    if (v3["layers"].isObject()) {
        QJsonObject layers = v3["layers"].toObject();
        const QJsonValue image = layers["image"];
        if (!image.isNull() && !image.isUndefined())
            stack.append(QJsonObject{{"id", 1}, {"name", "Background"}, {"file", image}, {"visible", true},
                                     {"opacity", 1.0}, {"blend", "normal"}});
        layers.remove("image");
        v4["layers"] = layers;
    }
    v4["image_layers"] = stack;
    v4["current_layer"] = stack.isEmpty() ? 0 : 1;
    return v4;
}

const std::vector<std::function<QJsonObject(const QJsonObject&)>> kMigrations = {migrate_v0_to_v1, migrate_v1_to_v2,
                                                                                 migrate_v2_to_v3, migrate_v3_to_v4};
static_assert(kProjectVersion == 4, "add a migration to kMigrations for every new version");

// --- Field readers that name the field on error.
struct Reader {
    QString file;
    [[noreturn]] void bad(const QString& field, const QString& what) const {
        fail(QString("%1: field '%2': %3").arg(file, field, what));
    }
    QJsonValue need(const QJsonObject& o, const QString& field, const QString& key) const {
        if (!o.contains(key)) bad(field, "missing");
        return o[key];
    }
    QJsonObject object(const QJsonObject& o, const QString& field, const QString& key) const {
        const QJsonValue v = need(o, field, key);
        if (!v.isObject()) bad(field, "expected an object");
        return v.toObject();
    }
    QJsonArray array(const QJsonObject& o, const QString& field, const QString& key) const {
        const QJsonValue v = need(o, field, key);
        if (!v.isArray()) bad(field, "expected an array");
        return v.toArray();
    }
    QString string(const QJsonObject& o, const QString& field, const QString& key) const {
        const QJsonValue v = need(o, field, key);
        if (!v.isString()) bad(field, "expected a string");
        return v.toString();
    }
    int integer(const QJsonValue& v, const QString& field, int lo, int hi) const {
        const double d = v.toDouble(-1e300);
        // floor, not a cast: casting a double beyond the integer's range is undefined.
        if (!v.isDouble() || !std::isfinite(d) || d != std::floor(d)) bad(field, "expected an integer");
        if (d < lo || d > hi) bad(field, QString("%1 is out of range [%2, %3]").arg(d).arg(lo).arg(hi));
        return int(d);
    }
    // A layer file name inside the project folder: a plain name, never a path out of it.
    QString layer_name(const QJsonValue& v, const QString& field) const {
        if (!v.isString()) bad(field, "expected a file name");
        const QString n = v.toString();
        if (n.isEmpty() || n.contains('/') || n.contains('\\') || n.startsWith('.'))
            bad(field, "'" + n + "' is not a file name inside the project folder");
        return n;
    }
};

QImage read_layer(const QString& folder, const QString& name, QSize canvas, QImage::Format format) {
    const QString path = folder + "/" + name;
    QImageReader r(path, "png");
    QImage img = r.read();
    if (img.isNull()) fail(path + ": cannot read: " + r.errorString());
    if (img.size() != canvas)
        fail(QString("%1: is %2x%3 but the canvas is %4x%5")
                 .arg(path).arg(img.width()).arg(img.height()).arg(canvas.width()).arg(canvas.height()));
    return img.convertToFormat(format);
}

}  // namespace

QJsonObject migrate_project(QJsonObject json, const QString& context) {
    // The earliest files carried no "format" tag; a file that has one must be ours.
    if (json.contains("format") && json["format"] != QString(kFormat))
        fail(QString("%1: field 'format': expected \"%2\", got \"%3\"").arg(context, kFormat, json["format"].toString()));
    if (!json.contains("version")) fail(context + ": field 'version': missing");
    const QJsonValue v = json["version"];
    if (!v.isDouble() || v.toDouble() != std::floor(v.toDouble()) || v.toDouble() < 0)
        fail(context + ": field 'version': expected a non-negative integer");
    if (v.toDouble() > kProjectVersion)  // compared as a double: it may not fit an int
        fail(QString("%1: field 'version': %2 is newer than this studio reads (%3); update DiT Studio")
                 .arg(context).arg(v.toDouble()).arg(kProjectVersion));
    int version = int(v.toDouble());
    while (version < kProjectVersion) json = kMigrations[size_t(version++)](json);
    return json;
}

DocumentState load_project(const QString& folder_in, QStringList* warnings) {
    const QString folder = QDir::cleanPath(QFileInfo(folder_in).absoluteFilePath());
    const QString path = folder + "/project.json";
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) fail(path + ": cannot open: " + f.errorString());
    QJsonParseError perr;
    const QJsonDocument doc = QJsonDocument::fromJson(f.readAll(), &perr);
    if (perr.error != QJsonParseError::NoError)
        fail(QString("%1: invalid JSON at offset %2: %3").arg(path).arg(perr.offset).arg(perr.errorString()));
    if (!doc.isObject()) fail(path + ": expected a JSON object");
    const QJsonObject j = migrate_project(doc.object(), path);
    const Reader rd{path};

    DocumentState s;
    const QJsonObject canvas = rd.object(j, "canvas", "canvas");
    s.canvas = QSize(rd.integer(rd.need(canvas, "canvas.width", "width"), "canvas.width", 8, kMaxCanvas),
                     rd.integer(rd.need(canvas, "canvas.height", "height"), "canvas.height", 8, kMaxCanvas));

    const QJsonObject layers = rd.object(j, "layers", "layers");
    auto layer = [&](const char* key, QImage::Format format) -> QImage {
        const QString field = QString("layers.") + key;
        const QJsonValue v = layers[QLatin1String(key)];
        if (v.isNull() || v.isUndefined()) return {};
        return read_layer(folder, rd.layer_name(v, field), s.canvas, format);
    };
    const QJsonArray stack = rd.array(j, "image_layers", "image_layers");
    for (int i = 0; i < stack.size(); ++i) {
        const QString field = QString("image_layers[%1]").arg(i);
        if (!stack[i].isObject()) rd.bad(field, "expected an object");
        const QJsonObject o = stack[i].toObject();
        ImageLayer l;
        l.id = quint32(rd.integer(rd.need(o, field + ".id", "id"), field + ".id", 1, 1 << 30));
        for (const auto& other : s.layers)
            if (other.id == l.id) rd.bad(field + ".id", QString("%1 is used twice").arg(l.id));
        l.name = rd.string(o, field + ".name", "name");
        l.pixels = read_layer(folder, rd.layer_name(rd.need(o, field + ".file", "file"), field + ".file"), s.canvas,
                              QImage::Format_RGBA8888);
        const QJsonValue visible = rd.need(o, field + ".visible", "visible");
        if (!visible.isBool()) rd.bad(field + ".visible", "expected true or false");
        l.visible = visible.toBool();
        const QJsonValue opacity = rd.need(o, field + ".opacity", "opacity");
        if (!opacity.isDouble() || !(opacity.toDouble() >= 0 && opacity.toDouble() <= 1))
            rd.bad(field + ".opacity", "expected a number in [0, 1]");
        l.opacity = opacity.toDouble();
        const QString blend = rd.string(o, field + ".blend", "blend");
        const auto mode = blend_from_name(blend);
        if (!mode) rd.bad(field + ".blend", "'" + blend + "' is not a blend mode (normal, multiply, screen)");
        l.blend = *mode;
        s.layers.push_back(std::move(l));
    }
    s.current_layer = quint32(rd.integer(rd.need(j, "current_layer", "current_layer"), "current_layer", 0, 1 << 30));
    if (s.current_layer && !find_layer(s, s.current_layer))
        rd.bad("current_layer", QString("%1 is no layer of image_layers").arg(s.current_layer));
    settle_layers(s);
    s.mask = layer("mask", QImage::Format_Grayscale8);
    s.edges = layer("edges", QImage::Format_Grayscale8);
    if (s.mask.isNull()) s.mask = blank_gray(s.canvas);
    if (s.edges.isNull()) s.edges = blank_gray(s.canvas);
    // Optional (absent before the studio saved it, and when nothing is selected): no new version.
    s.selection = layer("selection", QImage::Format_Grayscale8);

    // The pose layer is an OpenPose JSON file, read by the studio's one OpenPose parser.
    const QJsonValue pose = layers["pose"];
    if (!pose.isNull() && !pose.isUndefined()) {
        const QString name = rd.layer_name(pose, "layers.pose");
        s.people = read_pose_json(folder + "/" + name, s.canvas).people;
    }

    const QJsonValue background = layers["pose_background"];
    if (!background.isNull() && !background.isUndefined()) {
        const QString path = folder + "/" + rd.layer_name(background, "layers.pose_background");
        QImageReader r(path, "png");
        const QSize size = r.size();
        if (size.isValid() && (size.width() > kMaxCanvas || size.height() > kMaxCanvas))
            fail(QString("%1: is %2x%3, larger than %4 px a side").arg(path).arg(size.width()).arg(size.height()).arg(kMaxCanvas));
        s.pose_background = r.read().convertToFormat(QImage::Format_RGB888);
        if (s.pose_background.isNull()) fail(path + ": cannot read: " + r.errorString());
    }
    const QJsonValue opacity = rd.need(j, "pose_background_opacity", "pose_background_opacity");
    if (!opacity.isDouble() || opacity.toDouble() < 0 || opacity.toDouble() > 1)
        rd.bad("pose_background_opacity", "expected a number in [0, 1]");
    s.pose_background_opacity = opacity.toDouble();

    const QJsonArray regions = rd.array(j, "regions", "regions");
    for (int i = 0; i < regions.size(); ++i) {
        const QString field = QString("regions[%1]").arg(i);
        if (!regions[i].isObject()) rd.bad(field, "expected an object");
        const QJsonObject o = regions[i].toObject();
        Region r;
        r.id = quint32(rd.integer(rd.need(o, field + ".id", "id"), field + ".id", 1, 1 << 30));
        for (const auto& other : s.regions)
            if (other.id == r.id) rd.bad(field + ".id", QString("%1 is used twice").arg(r.id));
        r.prompt = rd.string(o, field + ".prompt", "prompt");
        r.colour = QColor(rd.string(o, field + ".colour", "colour"));
        if (!r.colour.isValid()) rd.bad(field + ".colour", "'" + o["colour"].toString() + "' is not a colour (#rrggbb)");
        r.mask = read_layer(folder, rd.layer_name(rd.need(o, field + ".mask", "mask"), field + ".mask"), s.canvas,
                            QImage::Format_Grayscale8);
        s.next_region_id = std::max(s.next_region_id, r.id + 1);
        s.regions.push_back(std::move(r));
    }

    s.prompt = rd.string(j, "prompt", "prompt");
    s.negative_prompt = rd.string(j, "negative_prompt", "negative_prompt");
    GenerationSettings base;
    base.width = s.canvas.width();
    base.height = s.canvas.height();
    const QJsonObject settings = rd.object(j, "settings", "settings");
    s.settings = settings_from_json(settings, base, path, "settings.");

    const QJsonArray results = rd.array(j, "results", "results");
    for (int i = 0; i < results.size(); ++i) {
        const QString field = QString("results[%1].file").arg(i);
        if (!results[i].isObject()) rd.bad(QString("results[%1]").arg(i), "expected an object");
        const QJsonValue file = results[i].toObject()["file"];
        const QString name = file.toString();
        if (!name.startsWith(QLatin1String("results/"))) rd.bad(field, "expected \"results/<name>.png\"");
        const QString png = folder + "/results/" + rd.layer_name(name.mid(8), field);
        try {
            s.results.push_back(read_result_png(png));
        } catch (const std::exception& e) {
            if (warnings) warnings->append(QString::fromUtf8(e.what()));
        }
    }
    return s;
}

void save_project(const DocumentState& s, const QString& folder_in) {
    const QString folder = QDir::cleanPath(QFileInfo(folder_in).absoluteFilePath());
    const QFileInfo info(folder);
    const QString parent = info.absolutePath(), name = info.fileName();
    if (!QDir().mkpath(parent)) fail(parent + ": cannot create folder");
    const QString tag = QString("%1-%2").arg(QCoreApplication::applicationPid()).arg(QRandomGenerator::global()->generate(), 8, 16, QChar('0'));
    const QString tmp = parent + "/." + name + ".saving-" + tag;
    const QString old = parent + "/." + name + ".old-" + tag;
    if (!QDir().mkdir(tmp)) fail(tmp + ": cannot create folder (is " + parent + " writable?)");
    try {
        QJsonObject j;
        j["format"] = kFormat;
        j["version"] = kProjectVersion;
        j["canvas"] = QJsonObject{{"width", s.canvas.width()}, {"height", s.canvas.height()}};
        QJsonObject layers{{"mask", "mask.png"}, {"edges", "edges.png"},
                           {"pose", QJsonValue()}, {"pose_background", QJsonValue()}};
        QJsonArray stack;
        for (size_t i = 0; i < s.layers.size(); ++i) {
            const ImageLayer& l = s.layers[i];
            const QString file = QString("image_%1.png").arg(i);
            write_png(tmp + "/" + file, l.pixels);  // RGBA PNG: lossless, alpha kept
            stack.append(QJsonObject{{"id", double(l.id)}, {"name", l.name}, {"file", file}, {"visible", l.visible},
                                     {"opacity", l.opacity}, {"blend", blend_name(l.blend)}});
        }
        j["image_layers"] = stack;
        j["current_layer"] = double(s.current_layer);
        write_png(tmp + "/mask.png", s.mask);
        write_png(tmp + "/edges.png", s.edges);
        if (!s.selection.isNull()) {
            write_png(tmp + "/selection.png", s.selection);
            layers["selection"] = "selection.png";
        }
        if (!s.people.empty()) {
            Pose pose;
            pose.canvas = s.canvas;
            pose.people = s.people;
            write_file_atomically(tmp + "/pose.json", pose_to_json(pose));
            layers["pose"] = "pose.json";
        }
        if (!s.pose_background.isNull()) {
            write_png(tmp + "/pose_background.png", s.pose_background);
            layers["pose_background"] = "pose_background.png";
        }
        j["pose_background_opacity"] = s.pose_background_opacity;
        QJsonArray regions;
        for (size_t i = 0; i < s.regions.size(); ++i) {
            const Region& r = s.regions[i];
            const QString file = QString("region_%1.png").arg(i);
            write_png(tmp + "/" + file, r.mask);
            regions.append(QJsonObject{{"id", double(r.id)}, {"prompt", r.prompt},
                                       {"colour", r.colour.name(QColor::HexRgb)}, {"mask", file}});
        }
        j["layers"] = layers;
        j["regions"] = regions;
        j["prompt"] = s.prompt;
        j["negative_prompt"] = s.negative_prompt;
        j["settings"] = settings_to_json(s.settings);
        QJsonArray results;
        if (!s.results.empty() && !QDir().mkdir(tmp + "/results")) fail(tmp + "/results: cannot create folder");
        for (size_t i = 0; i < s.results.size(); ++i) {
            const GalleryItem& r = s.results[i];
            const QString file = QString("results/%1.png").arg(i + 1, 4, 10, QChar('0'));
            // A result already on disk (in the gallery, or this project before the swap) is
            // copied, not encoded again: saves stay quick with many large results.
            if (r.file.isEmpty() || !QFile::copy(r.file, tmp + "/" + file)) {
                if (r.image.isNull()) fail(r.file + ": the result's file is gone and its image is not loaded");
                save_result_png(tmp + "/" + file, r);
            }
            results.append(QJsonObject{{"file", file}});
        }
        j["results"] = results;
        write_file_atomically(tmp + "/project.json", QJsonDocument(j).toJson(QJsonDocument::Indented));

        // The swap: old out of the way, new in, old removed. Each step is one rename; if the
        // second fails the old folder goes back.
        const bool had_old = QFileInfo::exists(folder);
        if (had_old && !QDir().rename(folder, old)) fail(folder + ": cannot replace the old project (is it writable?)");
        if (!QDir().rename(tmp, folder)) {
            if (had_old) QDir().rename(old, folder);
            fail(folder + ": cannot move the saved project into place");
        }
        if (had_old) QDir(old).removeRecursively();
    } catch (...) {
        QDir(tmp).removeRecursively();
        throw;
    }
}

}  // namespace dit::studio
