// Presets (the shipped ones, save/load, validation naming the field, the schema agreeing with
// the validator) and the recent files list.
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

#include "engine/error.h"
#include "studio/project/presets.h"
#include "studio/project/recent_files.h"

using namespace dit::studio;

namespace {

const QString kPresets = QString(DIT_SOURCE_DIR) + "/presets";

QString error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const dit::Error& e) {
        return QString::fromUtf8(e.what());
    }
    return "<no error>";
}

QString write(const QTemporaryDir& tmp, const QByteArray& text) {
    static int n = 0;
    const QString path = tmp.filePath(QString("p%1.json").arg(n++));
    QFile f(path);
    f.open(QIODevice::WriteOnly);
    f.write(text);
    return path;
}

}  // namespace

class TestPresets : public QObject {
    Q_OBJECT

private slots:
    void shipped_presets_load() {
        const QStringList files = QDir(kPresets).entryList({"*.json"}, QDir::Files);
        int presets = 0;
        for (const QString& f : files) {
            if (f.endsWith(".schema.json")) continue;
            const Preset p = load_preset(kPresets + "/" + f);
            QVERIFY(!p.name.isEmpty());
            ++presets;
        }
        QVERIFY(presets >= 3);
        GenerationSettings mine;
        mine.model_dir = "/models/mine";
        mine.width = 768;
        const GenerationSettings lcm = apply_preset(load_preset(kPresets + "/lcm-4-steps.json"), mine);
        QCOMPARE(lcm.sampler, QString("lcm"));
        QCOMPARE(lcm.steps, 4);
        QCOMPARE(lcm.cfg, 1.0);
        QCOMPARE(lcm.model_dir, QString("/models/mine"));  // fields the preset does not name stay
        QCOMPARE(lcm.width, 768);
        const GenerationSettings draft = apply_preset(load_preset(kPresets + "/draft.json"), mine);
        QCOMPARE(draft.steps, 8);
        QCOMPARE(draft.width, 768);  // the draft keeps the model's size: a smaller one stripes
        QCOMPARE(apply_preset(load_preset(kPresets + "/pixart-alpha-20-steps.json"), mine).steps, 20);
    }

    void save_and_load_round_trip() {
        QTemporaryDir tmp;
        GenerationSettings s;
        s.model_dir = "/m";
        s.steps = 33;
        s.sampler = "euler_a";
        s.cfg = 7.25;
        s.seed = 99;
        s.random_seed = false;
        s.mode = GenerationMode::Img2Img;
        s.strength = 0.4;
        Preset p = preset_from_settings("Mine", s);
        p.description = "all fields";
        save_preset(tmp.filePath("mine.json"), p);
        const Preset back = load_preset(tmp.filePath("mine.json"));
        QCOMPARE(back.name, QString("Mine"));
        QCOMPARE(back.description, QString("all fields"));
        QCOMPARE(apply_preset(back, GenerationSettings{}), s);
        // Saving an invalid preset fails before touching the file.
        Preset bad = p;
        bad.settings["steps"] = -1;
        const QString msg = error_of([&] { save_preset(tmp.filePath("mine.json"), bad); });
        QVERIFY2(msg.contains("field 'settings.steps'"), qPrintable(msg));
        QCOMPARE(load_preset(tmp.filePath("mine.json")).settings["steps"].toInt(), 33);
    }

    void validation_names_the_field_data() {
        QTest::addColumn<QByteArray>("settings");
        QTest::addColumn<QString>("expected");
        QTest::newRow("steps type") << QByteArray("{\"steps\": \"many\"}") << "field 'settings.steps': expected an integer, got a string";
        QTest::newRow("steps range") << QByteArray("{\"steps\": 0}") << "field 'settings.steps': 0 is out of range [1, 1000]";
        QTest::newRow("steps fraction") << QByteArray("{\"steps\": 2.5}") << "field 'settings.steps': expected an integer, got 2.5";
        QTest::newRow("unknown") << QByteArray("{\"stepz\": 4}") << "field 'settings.stepz': unknown field";
        QTest::newRow("sampler") << QByteArray("{\"sampler\": \"plms\"}") << "field 'settings.sampler': 'plms' is not one of: dpm++2m";
        QTest::newRow("cfg") << QByteArray("{\"cfg\": true}") << "field 'settings.cfg': expected a number, got a boolean";
        QTest::newRow("width") << QByteArray("{\"width\": 100}") << "field 'settings.width': 100 is not a multiple of 8";
        QTest::newRow("strength") << QByteArray("{\"strength\": 0}") << "field 'settings.strength': 0 is out of range (0, 1]";
        QTest::newRow("seed") << QByteArray("{\"seed\": -3}") << "field 'settings.seed': expected an unsigned integer";
        QTest::newRow("mode") << QByteArray("{\"mode\": \"outpaint\"}") << "field 'settings.mode': 'outpaint' is not one of";
        QTest::newRow("inpaint mode") << QByteArray("{\"inpaint_mode\": 3}") << "field 'settings.inpaint_mode': expected a string, got a number";
        QTest::newRow("random seed") << QByteArray("{\"random_seed\": \"yes\"}") << "field 'settings.random_seed': expected true or false";
    }
    void validation_names_the_field() {
        QFETCH(QByteArray, settings);
        QFETCH(QString, expected);
        QTemporaryDir tmp;
        const QString path = write(tmp, "{\"format\": \"dit-studio-preset\", \"version\": 1, \"name\": \"x\", \"settings\": " + settings + "}");
        const QString msg = error_of([&] { load_preset(path); });
        qInfo("%s", qPrintable(msg));
        QVERIFY2(msg.startsWith(path + ": "), qPrintable(msg));
        QVERIFY2(msg.contains(expected), qPrintable(msg));
    }

    void envelope_errors() {
        QTemporaryDir tmp;
        auto msg = [&](const QByteArray& text) { return error_of([&] { load_preset(write(tmp, text)); }); };
        QVERIFY(msg("{\"version\": 1, \"name\": \"x\", \"settings\": {}}").contains("field 'format'"));
        QVERIFY(msg("{\"format\": \"dit-studio-preset\", \"version\": 2, \"name\": \"x\", \"settings\": {}}").contains("field 'version': expected 1"));
        QVERIFY(msg("{\"format\": \"dit-studio-preset\", \"version\": 1, \"name\": \" \", \"settings\": {}}").contains("field 'name'"));
        QVERIFY(msg("{\"format\": \"dit-studio-preset\", \"version\": 1, \"name\": \"x\"}").contains("field 'settings': expected an object"));
        QVERIFY(msg("{\"format\": \"dit-studio-preset\", \"version\": 1, \"name\": \"x\", \"settings\": {}, \"extra\": 1}").contains("field 'extra': unknown"));
        QVERIFY(msg("[1, 2").contains("invalid JSON"));
        QVERIFY(error_of([] { load_preset("/nonexistent.json"); }).contains("/nonexistent.json: cannot open"));
    }

    void schema_agrees_with_the_validator() {
        QFile f(kPresets + "/preset.schema.json");
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonObject schema = QJsonDocument::fromJson(f.readAll()).object();
        QCOMPARE(schema["properties"]["format"]["const"].toString(), QString("dit-studio-preset"));
        const QJsonObject settings = schema["properties"]["settings"].toObject();
        QVERIFY(settings["additionalProperties"] == false);
        QStringList keys = settings["properties"].toObject().keys();
        QStringList known = settings_keys();
        keys.sort();
        known.sort();
        QCOMPARE(keys, known);
        const QJsonArray samplers = settings["properties"]["sampler"]["enum"].toArray();
        for (const auto& s : samplers) {
            const QJsonObject one{{"sampler", s}};
            QCOMPARE(apply_preset({"x", "", one}, {}).sampler, s.toString());
        }
        const QJsonArray backends = settings["properties"]["backend"]["enum"].toArray();
        QCOMPARE(backends.size(), 5);  // auto, cpu, cpu-reference, cuda, remote: what the validator accepts
        for (const auto& b : backends) {
            const QJsonObject one{{"backend", b}};
            QCOMPARE(apply_preset({"x", "", one}, {}).backend, b.toString());
        }
        QCOMPARE(settings["properties"]["low_vram"]["type"].toString(), QString("boolean"));
        QVERIFY(apply_preset({"x", "", QJsonObject{{"low_vram", true}}}, {}).low_vram);
    }

    void recent_files() {
        QTemporaryDir tmp;
        QSettings settings(tmp.filePath("settings.ini"), QSettings::IniFormat);
        RecentFiles recent(&settings, 3);
        QDir().mkpath(tmp.filePath("a"));
        QDir().mkpath(tmp.filePath("b"));
        recent.add(tmp.filePath("a"));
        recent.add(tmp.filePath("b"));
        recent.add(tmp.filePath("a/../a"));  // the same folder: moves to the front
        QCOMPARE(recent.files(), QStringList({tmp.filePath("a"), tmp.filePath("b")}));
        recent.add(tmp.filePath("c"));
        recent.add(tmp.filePath("d"));
        QCOMPARE(recent.files(), QStringList({tmp.filePath("d"), tmp.filePath("c"), tmp.filePath("a")}));
        // Persisted: a new QSettings on the same file sees it.
        QSettings again(tmp.filePath("settings.ini"), QSettings::IniFormat);
        QCOMPARE(RecentFiles(&again).files().size(), 3);
        QCOMPARE(recent.prune(), QStringList{tmp.filePath("a")});  // c and d do not exist
        recent.remove(tmp.filePath("a"));
        QVERIFY(recent.files().isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestPresets)
#include "test_presets.moc"
