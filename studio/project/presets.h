#pragma once
// Presets: JSON files of generation settings (presets/*.json, schema presets/preset.schema.json).
//   { "format": "dit-studio-preset", "version": 1, "name": "...", "description": "...",
//     "settings": { any subset of the generation settings fields } }
// A preset sets only the fields it names, so "LCM, 4 steps" keeps the user's model and size.
#include <QJsonObject>
#include <QString>
#include <QStringList>

#include "studio/document/generation_settings.h"

namespace dit::studio {

struct Preset {
    QString name;
    QString description;
    QJsonObject settings;  // validated: only known fields, each of the right type and range
};

// Throws dit::Error "<path>: field '<name>': <what>" for the first field that is wrong.
Preset load_preset(const QString& path);
// Validates, then writes atomically (QSaveFile). Throws dit::Error naming the file or field.
void save_preset(const QString& path, const Preset& preset);
// A preset holding every field of `s`.
Preset preset_from_settings(const QString& name, const GenerationSettings& s);
GenerationSettings apply_preset(const Preset& preset, const GenerationSettings& base);

// The folders presets are looked up in, first match wins: the user's (AppDataLocation/presets),
// then the shipped ones (next to the executable in ../share/dit-studio/presets, or the source
// tree's presets/ in a build).
QStringList preset_dirs();

}  // namespace dit::studio
