#pragma once
// The generation settings a document (and a preset) carries. They mirror dit::Request field by
// field, plus what the UI decides before a request exists: a random seed, the mode, and the
// inpaint mode (stored even where the engine cannot run it yet).
#include <QJsonObject>
#include <QString>
#include <QStringList>

namespace dit::studio {

enum class GenerationMode { Txt2Img, Img2Img, Inpaint };
enum class InpaintMode { Full, Crop, Lazy };

struct GenerationSettings {
    QString model_dir;
    int width = 512, height = 512;
    int steps = 20;
    QString sampler = QStringLiteral("dpm++2m");
    double cfg = 4.5;
    quint64 seed = 0;
    bool random_seed = true;
    double strength = 0.8;
    GenerationMode mode = GenerationMode::Txt2Img;
    InpaintMode inpaint_mode = InpaintMode::Full;
    QString backend = QStringLiteral("cpu");

    bool operator==(const GenerationSettings&) const = default;
};

// The JSON keys, in the order they are written; the preset schema lists the same ones.
QStringList settings_keys();
QJsonObject settings_to_json(const GenerationSettings& s);
// The fields present in `json` applied onto `base`. Every field is checked for type and range;
// unknown keys are errors. Throws dit::Error "<context>: field '<prefix><key>': <what is wrong>".
GenerationSettings settings_from_json(const QJsonObject& json, const GenerationSettings& base,
                                      const QString& context, const QString& prefix = {});

QString mode_name(GenerationMode m);
QString inpaint_mode_name(InpaintMode m);

}  // namespace dit::studio
