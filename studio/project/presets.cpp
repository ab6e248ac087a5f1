#include "studio/project/presets.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QStandardPaths>

#include "engine/error.h"
#include "studio/atomic_file.h"
#include "studio/install_paths.h"

namespace dit::studio {

namespace {

const char* kFormat = "dit-studio-preset";
constexpr int kVersion = 1;

[[noreturn]] void fail(const QString& msg) { throw Error(msg.toStdString()); }

void validate(const QJsonObject& j, const QString& path) {
    auto bad = [&](const QString& field, const QString& what) { fail(QString("%1: field '%2': %3").arg(path, field, what)); };
    for (auto it = j.begin(); it != j.end(); ++it)
        if (!QStringList{"format", "version", "name", "description", "settings"}.contains(it.key()))
            bad(it.key(), "unknown field (known: format, version, name, description, settings)");
    if (j["format"] != QString(kFormat)) bad("format", QString("expected \"%1\"").arg(kFormat));
    if (!j["version"].isDouble() || j["version"].toDouble() != kVersion)
        bad("version", QString("expected %1").arg(kVersion));
    if (!j["name"].isString() || j["name"].toString().trimmed().isEmpty()) bad("name", "expected a non-empty string");
    if (j.contains("description") && !j["description"].isString()) bad("description", "expected a string");
    if (!j["settings"].isObject()) bad("settings", "expected an object");
    // Every settings field checked by the same code that reads projects.
    settings_from_json(j["settings"].toObject(), GenerationSettings{}, path, "settings.");
}

}  // namespace

Preset load_preset(const QString& path) {
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) fail(path + ": cannot open: " + f.errorString());
    QJsonParseError perr;
    const QJsonDocument doc = QJsonDocument::fromJson(f.readAll(), &perr);
    if (perr.error != QJsonParseError::NoError)
        fail(QString("%1: invalid JSON at offset %2: %3").arg(path).arg(perr.offset).arg(perr.errorString()));
    if (!doc.isObject()) fail(path + ": expected a JSON object");
    const QJsonObject j = doc.object();
    validate(j, path);
    return {j["name"].toString(), j["description"].toString(), j["settings"].toObject()};
}

void save_preset(const QString& path, const Preset& p) {
    QJsonObject j{{"format", kFormat}, {"version", kVersion}, {"name", p.name}, {"settings", p.settings}};
    if (!p.description.isEmpty()) j["description"] = p.description;
    validate(j, path);
    const QByteArray bytes = QJsonDocument(j).toJson(QJsonDocument::Indented);
    write_file_atomically(path, bytes);
}

Preset preset_from_settings(const QString& name, const GenerationSettings& s) {
    return {name, QString(), settings_to_json(s)};
}

GenerationSettings apply_preset(const Preset& p, const GenerationSettings& base) {
    return settings_from_json(p.settings, base, "preset '" + p.name + "'");
}

QStringList preset_dirs() {
    QStringList dirs;
    const QString user = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    if (!user.isEmpty()) dirs << user + "/presets";
    for (const auto& dir : shipped_data_dirs("presets")) dirs << QString::fromStdString(dir.string());
    return dirs;
}

}  // namespace dit::studio
