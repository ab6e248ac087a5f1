// Generation settings as JSON (what projects and presets store): every field round-trips,
// the controls list included; a broken field is an error naming it; a preset's controls replace
// the user's list as a whole.
#include <QJsonArray>
#include <QJsonDocument>
#include <QtTest>

#include "engine/error.h"
#include "studio/document/generation_settings.h"
#include "studio/project/presets.h"
#include "tests/common/test_helpers.h"

using namespace dit::studio;

using dit::testing::error_text;

namespace {

GenerationSettings rich() {
    GenerationSettings s;
    s.model_dir = "/models/m";
    s.mode = GenerationMode::Inpaint;
    s.inpaint_mode = InpaintMode::Crop;
    s.lazy_refresh = 7;
    s.low_vram = true;
    s.cache = "teacache:0.15";
    s.controls = {{"pose", true, 0.5, 0.0, 0.8}, {"edges", false, 2.0, 0.25, 0.5}, {"pose", true, 0.0, 0.9, 1.0}};
    return s;
}

QJsonObject parse(const char* json) { return QJsonDocument::fromJson(json).object(); }

}  // namespace

class TestGenerationSettings : public QObject {
    Q_OBJECT

private slots:
    void cache_as_the_panel_shows_it() {
        QCOMPARE(cache_threshold("off"), -1.0);
        QCOMPARE(cache_threshold("teacache:0.15"), double(0.15f));
        QCOMPARE(cache_setting(-1), QString("off"));
        QCOMPARE(cache_setting(0.15), QString("teacache:0.15"));
        QCOMPARE(cache_setting(0), QString("teacache:0"));
        QCOMPARE(cache_threshold(cache_setting(kDefaultCacheThreshold)), double(float(kDefaultCacheThreshold)));
    }

    void round_trip() {
        const GenerationSettings s = rich();
        const QJsonObject j = settings_to_json(s);
        QStringList keys = j.keys(), known = settings_keys();
        keys.sort();
        known.sort();
        QCOMPARE(keys, known);  // every field is written
        QCOMPARE(j["controls"].toArray().size(), 3);
        QCOMPARE(j["controls"].toArray()[1].toObject()["type"].toString(), QString("edges"));
        // Through text, as a file stores it.
        const QJsonObject back = QJsonDocument::fromJson(QJsonDocument(j).toJson()).object();
        QVERIFY(settings_from_json(back, GenerationSettings{}, "test") == s);
        // No controls round-trips as an empty list.
        GenerationSettings none = s;
        none.controls.clear();
        QVERIFY(settings_from_json(settings_to_json(none), s, "test") == none);
    }

    void control_fields_default_and_replace() {
        GenerationSettings base = rich();
        const GenerationSettings s =
            settings_from_json(parse("{\"controls\": [{\"type\": \"edges\"}]}"), base, "test");
        QCOMPARE(s.controls.size(), size_t(1));  // the list replaces the base's
        QVERIFY(s.controls[0] == (ControlSettings{"edges", true, 1.0, 0.0, 1.0}));
        // A preset without "controls" keeps the user's.
        QVERIFY(settings_from_json(parse("{\"steps\": 9}"), base, "test").controls == base.controls);
        // Through a preset file.
        const Preset p{"p", "", parse("{\"controls\": [{\"type\": \"pose\", \"weight\": 1.25}], \"lazy_refresh\": 2}")};
        const GenerationSettings applied = apply_preset(p, base);
        QCOMPARE(applied.controls.size(), size_t(1));
        QCOMPARE(applied.controls[0].weight, 1.25);
        QCOMPARE(applied.lazy_refresh, 2);
    }

    void broken_fields_are_named_data() {
        QTest::addColumn<QString>("json");
        QTest::addColumn<QString>("expected");
        QTest::newRow("not an array") << "{\"controls\": {}}" << "field 's.controls': expected an array, got an object";
        QTest::newRow("not an object") << "{\"controls\": [3]}" << "field 's.controls[0]': expected an object, got a number";
        QTest::newRow("no type") << "{\"controls\": [{\"weight\": 1}]}" << "field 's.controls[0].type': missing";
        QTest::newRow("bad type") << "{\"controls\": [{\"type\": \"pose\"}, {\"type\": \"depth\"}]}"
                                  << "field 's.controls[1].type': 'depth' is not one of: pose, edges";
        QTest::newRow("type not a string") << "{\"controls\": [{\"type\": 1}]}" << "field 's.controls[0].type': expected a string, got a number";
        QTest::newRow("weight range") << "{\"controls\": [{\"type\": \"pose\", \"weight\": 2.5}]}"
                                      << "field 's.controls[0].weight': 2.5 is out of range [0, 2]";
        QTest::newRow("weight type") << "{\"controls\": [{\"type\": \"pose\", \"weight\": \"1\"}]}"
                                     << "field 's.controls[0].weight': expected a number, got a string";
        QTest::newRow("start range") << "{\"controls\": [{\"type\": \"pose\", \"start\": -0.1}]}"
                                     << "field 's.controls[0].start': -0.1 is out of range [0, 1]";
        QTest::newRow("end range") << "{\"controls\": [{\"type\": \"pose\", \"end\": 1.5}]}"
                                   << "field 's.controls[0].end': 1.5 is out of range [0, 1]";
        QTest::newRow("start after end") << "{\"controls\": [{\"type\": \"edges\", \"start\": 0.6, \"end\": 0.4}]}"
                                         << "field 's.controls[0].end': 0.4 must be above start (0.6)";
        QTest::newRow("enabled type") << "{\"controls\": [{\"type\": \"pose\", \"enabled\": 1}]}"
                                      << "field 's.controls[0].enabled': expected true or false, got a number";
        QTest::newRow("unknown control key") << "{\"controls\": [{\"type\": \"pose\", \"wieght\": 1}]}"
                                             << "field 's.controls[0].wieght': unknown field";
        QTest::newRow("lazy refresh") << "{\"lazy_refresh\": 0}" << "field 's.lazy_refresh': 0 is out of range [1, 1000]";
        QTest::newRow("cache negative") << "{\"cache\": \"teacache:-1\"}"
                                        << "field 's.cache': cache 'teacache:-1': the threshold must be >= 0";
        QTest::newRow("cache method") << "{\"cache\": \"fast\"}" << "field 's.cache': cache 'fast' is not a step-cache setting";
        QTest::newRow("low vram type") << "{\"low_vram\": \"yes\"}"
                                       << "field 's.low_vram': expected true or false, got a string";
    }
    void broken_fields_are_named() {
        QFETCH(QString, json);
        QFETCH(QString, expected);
        const GenerationSettings base = rich();
        GenerationSettings out = base;
        const QString msg = error_text([&] {
            out = settings_from_json(QJsonDocument::fromJson(json.toUtf8()).object(), base, "ctx", "s.");
        });
        qInfo("%s", qPrintable(msg));
        QVERIFY2(msg.startsWith("ctx: "), qPrintable(msg));
        QVERIFY2(msg.contains(expected), qPrintable(msg));
        QVERIFY(out == base);  // nothing applied
    }
};

QTEST_APPLESS_MAIN(TestGenerationSettings)
#include "test_generation_settings.moc"
