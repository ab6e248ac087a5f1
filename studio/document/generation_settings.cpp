#include "studio/document/generation_settings.h"

#include <QJsonArray>
#include <cmath>

#include "engine/error.h"
#include "engine/models/step_cache.h"

namespace dit::studio {

namespace {

const QStringList kSamplers = {"dpm++2m", "ddim", "euler", "euler_a", "lcm", "flow_euler", "scm"};
const QStringList kModes = {"txt2img", "img2img", "inpaint"};
const QStringList kInpaintModes = {"full", "crop", "lazy"};
const QStringList kBackends = {"auto", "cpu", "cpu-reference", "cuda", "remote"};
const QStringList kControlTypes = {"pose", "edges"};
const QStringList kControlKeys = {"type", "enabled", "weight", "start", "end"};
constexpr double kMaxControlWeight = 2;

QString type_name(const QJsonValue& v) {
    switch (v.type()) {
        case QJsonValue::Null: return "null";
        case QJsonValue::Bool: return "a boolean";
        case QJsonValue::Double: return "a number";
        case QJsonValue::String: return "a string";
        case QJsonValue::Array: return "an array";
        case QJsonValue::Object: return "an object";
        default: return "undefined";
    }
}

struct Checker {
    const QString& context;
    const QString& prefix;
    [[noreturn]] void fail(const QString& key, const QString& what) const {
        throw Error(QString("%1: field '%2%3': %4").arg(context, prefix, key, what).toStdString());
    }
    int integer(const QJsonValue& v, const QString& key, int lo, int hi) const {
        if (!v.isDouble() || v.toDouble() != std::floor(v.toDouble()))
            fail(key, "expected an integer, got " + (v.isDouble() ? QString::number(v.toDouble()) : type_name(v)));
        const double d = v.toDouble();
        if (d < lo || d > hi) fail(key, QString("%1 is out of range [%2, %3]").arg(d).arg(lo).arg(hi));
        return int(d);
    }
    double number(const QJsonValue& v, const QString& key, double lo, double hi, bool open_lo = false) const {
        if (!v.isDouble()) fail(key, "expected a number, got " + type_name(v));
        const double d = v.toDouble();
        if (!std::isfinite(d) || d < lo || d > hi || (open_lo && d == lo))
            fail(key, QString("%1 is out of range %2%3, %4]").arg(d).arg(open_lo ? "(" : "[").arg(lo).arg(hi));
        return d;
    }
    QString string(const QJsonValue& v, const QString& key) const {
        if (!v.isString()) fail(key, "expected a string, got " + type_name(v));
        return v.toString();
    }
    QString one_of(const QJsonValue& v, const QString& key, const QStringList& allowed) const {
        const QString s = string(v, key);
        if (!allowed.contains(s)) fail(key, "'" + s + "' is not one of: " + allowed.join(", "));
        return s;
    }
    bool boolean(const QJsonValue& v, const QString& key) const {
        if (!v.isBool()) fail(key, "expected true or false, got " + type_name(v));
        return v.toBool();
    }
    quint64 seed(const QJsonValue& v, const QString& key) const {
        // Seeds above 2^53 do not survive a JSON number, so they are written as strings.
        if (v.isString()) {
            bool ok = false;
            const quint64 s = v.toString().toULongLong(&ok);
            if (!ok) fail(key, "'" + v.toString() + "' is not an unsigned integer");
            return s;
        }
        if (!v.isDouble() || v.toDouble() < 0 || v.toDouble() != std::floor(v.toDouble()) ||
            v.toDouble() > 9007199254740992.0)
            fail(key, "expected an unsigned integer (a string above 2^53), got " +
                          (v.isDouble() ? QString::number(v.toDouble(), 'g', 17) : type_name(v)));
        return quint64(v.toDouble());
    }
    int size(const QJsonValue& v, const QString& key) const {
        const int n = integer(v, key, 16, 8192);
        if (n % 8) fail(key, QString("%1 is not a multiple of 8").arg(n));
        return n;
    }
};

}  // namespace

// Chosen from the calibration in docs/benchmarks.md (#21 step caching).
const double kDefaultCacheThreshold = 0.1;

double cache_threshold(const QString& cache) {
    const StepCacheSetting c = StepCacheSetting::parse(cache.toStdString());
    return c.on ? double(c.threshold) : -1.0;
}

QString cache_setting(double threshold) {
    return threshold < 0 ? QStringLiteral("off") : QStringLiteral("teacache:") + QString::number(threshold, 'g', 6);
}

QString mode_name(GenerationMode m) { return kModes[int(m)]; }
QString inpaint_mode_name(InpaintMode m) { return kInpaintModes[int(m)]; }

QStringList settings_keys() {
    return {"model_dir", "width", "height", "steps", "sampler", "cfg", "seed", "random_seed",
            "strength", "denoise", "mode", "inpaint_mode", "lazy_refresh", "backend", "low_vram", "controls", "batch", "cache"};
}
QStringList control_keys() { return kControlKeys; }
QStringList control_types() { return kControlTypes; }

QJsonObject settings_to_json(const GenerationSettings& s) {
    QJsonObject o;
    o["model_dir"] = s.model_dir;
    o["width"] = s.width;
    o["height"] = s.height;
    o["steps"] = s.steps;
    o["sampler"] = s.sampler;
    o["cfg"] = s.cfg;
    o["seed"] = s.seed <= (quint64(1) << 53) ? QJsonValue(double(s.seed)) : QJsonValue(QString::number(s.seed));
    o["random_seed"] = s.random_seed;
    o["strength"] = s.strength;
    o["denoise"] = s.denoise;
    o["mode"] = mode_name(s.mode);
    o["inpaint_mode"] = inpaint_mode_name(s.inpaint_mode);
    o["lazy_refresh"] = s.lazy_refresh;
    o["batch"] = s.batch;
    o["backend"] = s.backend;
    o["low_vram"] = s.low_vram;
    o["cache"] = s.cache;
    QJsonArray controls;
    for (const ControlSettings& c : s.controls)
        controls.append(QJsonObject{{"type", c.type}, {"enabled", c.enabled}, {"weight", c.weight},
                                    {"start", c.start}, {"end", c.end}});
    o["controls"] = controls;
    return o;
}

GenerationSettings settings_from_json(const QJsonObject& json, const GenerationSettings& base,
                                      const QString& context, const QString& prefix) {
    const Checker c{context, prefix};
    GenerationSettings s = base;
    const QStringList known = settings_keys();
    for (auto it = json.begin(); it != json.end(); ++it)
        if (!known.contains(it.key())) c.fail(it.key(), "unknown field (known: " + known.join(", ") + ")");
    auto has = [&](const char* k) { return json.contains(QLatin1String(k)); };
    if (has("model_dir")) s.model_dir = c.string(json["model_dir"], "model_dir");
    if (has("width")) s.width = c.size(json["width"], "width");
    if (has("height")) s.height = c.size(json["height"], "height");
    if (has("steps")) s.steps = c.integer(json["steps"], "steps", 1, 1000);
    if (has("sampler")) s.sampler = c.one_of(json["sampler"], "sampler", kSamplers);
    if (has("cfg")) s.cfg = c.number(json["cfg"], "cfg", 0, 50);
    if (has("seed")) s.seed = c.seed(json["seed"], "seed");
    if (has("random_seed")) s.random_seed = c.boolean(json["random_seed"], "random_seed");
    if (has("strength")) s.strength = c.number(json["strength"], "strength", 0, 1, /*open_lo=*/true);
    if (has("denoise")) s.denoise = c.number(json["denoise"], "denoise", 0, 1, /*open_lo=*/true);
    if (has("mode")) s.mode = GenerationMode(kModes.indexOf(c.one_of(json["mode"], "mode", kModes)));
    if (has("inpaint_mode"))
        s.inpaint_mode = InpaintMode(kInpaintModes.indexOf(c.one_of(json["inpaint_mode"], "inpaint_mode", kInpaintModes)));
    if (has("lazy_refresh")) s.lazy_refresh = c.integer(json["lazy_refresh"], "lazy_refresh", 1, 1000);
    if (has("batch")) s.batch = c.integer(json["batch"], "batch", 1, 64);
    if (has("backend")) s.backend = c.one_of(json["backend"], "backend", kBackends);
    if (has("low_vram")) s.low_vram = c.boolean(json["low_vram"], "low_vram");
    if (has("cache")) {
        s.cache = c.string(json["cache"], "cache");
        try {
            StepCacheSetting::parse(s.cache.toStdString());
        } catch (const Error& e) {
            c.fail("cache", QString::fromStdString(e.what()));
        }
    }
    if (has("controls")) {
        const QJsonValue v = json["controls"];
        if (!v.isArray()) c.fail("controls", "expected an array, got " + type_name(v));
        const QJsonArray list = v.toArray();
        s.controls.clear();
        for (int i = 0; i < list.size(); ++i) {
            const QString at = QString("controls[%1]").arg(i);
            if (!list[i].isObject()) c.fail(at, "expected an object, got " + type_name(list[i]));
            const QJsonObject o = list[i].toObject();
            for (auto it = o.begin(); it != o.end(); ++it)
                if (!kControlKeys.contains(it.key()))
                    c.fail(at + "." + it.key(), "unknown field (known: " + kControlKeys.join(", ") + ")");
            if (!o.contains("type")) c.fail(at + ".type", "missing (one of: " + kControlTypes.join(", ") + ")");
            ControlSettings cs;
            cs.type = c.one_of(o["type"], at + ".type", kControlTypes);
            if (o.contains("enabled")) cs.enabled = c.boolean(o["enabled"], at + ".enabled");
            if (o.contains("weight")) cs.weight = c.number(o["weight"], at + ".weight", 0, kMaxControlWeight);
            if (o.contains("start")) cs.start = c.number(o["start"], at + ".start", 0, 1);
            if (o.contains("end")) cs.end = c.number(o["end"], at + ".end", 0, 1);
            if (cs.start >= cs.end)
                c.fail(at + ".end", QString("%1 must be above start (%2): the control would never act")
                                        .arg(cs.end).arg(cs.start));
            s.controls.push_back(cs);
        }
    }
    return s;
}

}  // namespace dit::studio
