#include "studio/model/model_defaults.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <algorithm>
#include <cmath>
#include <optional>

#include "engine/error.h"
#include "engine/pipeline/model_family.h"

namespace dit::studio {

namespace {

// A missing file is not a problem (studio.json is optional); an unreadable one is.
std::optional<QJsonObject> read_json(const QString& path) {
    QFile f(path);
    if (!f.exists()) return std::nullopt;
    if (!f.open(QIODevice::ReadOnly)) throw Error((path + ": cannot open: " + f.errorString()).toStdString());
    QJsonParseError err;
    const QJsonDocument doc = QJsonDocument::fromJson(f.readAll(), &err);
    if (err.error != QJsonParseError::NoError)
        throw Error(QString("%1: invalid JSON at offset %2: %3").arg(path).arg(err.offset).arg(err.errorString()).toStdString());
    if (!doc.isObject()) throw Error((path + ": expected a JSON object").toStdString());
    return doc.object();
}

void apply_configs(const QString& dir, ModelDefaults& d) {
    if (auto index = read_json(dir + "/model_index.json")) {
        const QString cls = (*index)["_class_name"].toString();
        if (cls == QLatin1String("PixArtSigmaPipeline") || cls.startsWith(QLatin1String("Sana"))) d.max_prompt_tokens = 300;
        for (const auto& c : pipeline_classes())
            if (cls == QLatin1String(c.class_name)) d.family = QString::fromUtf8(family_name(c.family));
    }
    int down = 8;
    if (auto vae = read_json(dir + "/vae/config.json")) {
        // AutoencoderKL: block_out_channels; Sana's AutoencoderDC: encoder_block_out_channels.
        QJsonArray blocks = (*vae)["block_out_channels"].toArray();
        if (blocks.isEmpty()) blocks = (*vae)["encoder_block_out_channels"].toArray();
        if (!blocks.isEmpty()) down = 1 << (blocks.size() - 1);
    }
    if (auto tc = read_json(dir + "/transformer/config.json")) {
        const int sample = (*tc)["sample_size"].toInt(0);
        if (sample > 0) d.width = d.height = engine_size(double(sample) * down);
    }
    if (auto sc = read_json(dir + "/scheduler/scheduler_config.json")) {
        const QString cls = (*sc)["_class_name"].toString();
        if (cls == QLatin1String("LCMScheduler")) {
            d.sampler = QStringLiteral("lcm");
            d.steps = 4;
            d.cfg = 1.0;
        } else if (cls == QLatin1String("SCMScheduler")) {
            // Sana-Sprint: SanaSprintPipeline's 2 steps; the cfg feeds its guidance embedding.
            d.sampler = QStringLiteral("scm");
            d.steps = 2;
        }
    }
}

void apply_studio_json(const QString& dir, ModelDefaults& d) {
    const QString path = dir + "/studio.json";
    const auto json = read_json(path);
    if (!json) return;
    // The generation fields are checked by the one settings validator, so studio.json accepts
    // exactly what a preset does for them.
    QJsonObject settings = *json;
    QString example;
    if (settings.contains("example_prompt")) {
        if (!settings["example_prompt"].isString())
            throw Error((path + ": field 'example_prompt': expected a string").toStdString());
        example = settings.take("example_prompt").toString();
    }
    for (const QString& key : settings.keys())
        if (!QStringList{"width", "height", "steps", "sampler", "cfg"}.contains(key))
            throw Error((path + ": field '" + key + "': unknown (known: width, height, steps, sampler, cfg, example_prompt)").toStdString());
    GenerationSettings base;
    base.width = d.width;
    base.height = d.height;
    base.steps = d.steps;
    base.sampler = d.sampler;
    base.cfg = d.cfg;
    const GenerationSettings s = settings_from_json(settings, base, path);
    if (s.width % 16 || s.height % 16)
        throw Error(QString("%1: field '%2': %3 is not a multiple of 16").arg(path, s.width % 16 ? "width" : "height")
                        .arg(s.width % 16 ? s.width : s.height).toStdString());
    d.width = s.width;
    d.height = s.height;
    d.steps = s.steps;
    d.sampler = s.sampler;
    d.cfg = s.cfg;
    if (!example.isEmpty()) d.example_prompt = example;
}

}  // namespace

GenerationSettings with_model_defaults(GenerationSettings s, const ModelDefaults& d) {
    s.width = d.width;
    s.height = d.height;
    s.steps = d.steps;
    s.sampler = d.sampler;
    s.cfg = d.cfg;
    return s;
}

int engine_size(double px) { return std::clamp(int(std::lround(px / 16)) * 16, 16, 2048); }

ModelDefaults model_defaults(const QString& model_dir) {
    ModelDefaults d;
    d.example_prompt = QStringLiteral("a red apple on a wooden table, soft window light");
    if (model_dir.isEmpty() || !QFileInfo(model_dir).isDir()) return d;
    for (auto step : {apply_configs, apply_studio_json}) {
        try {
            step(model_dir, d);
        } catch (const std::exception& e) {
            d.problem = QString::fromUtf8(e.what());
        }
    }
    return d;
}

}  // namespace dit::studio
