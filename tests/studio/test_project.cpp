// Project folders: save -> load round-trips every layer bit for bit; a save that cannot be
// written fails with a message and leaves the old project intact; broken files give errors that
// name the file and field; version-0 and version-1 files migrate.
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>
#include <unistd.h>

#include "engine/error.h"
#include "tests/common/document_compare.h"
#include "studio/document/document.h"
#include "studio/project/project_file.h"

using namespace dit::studio;

namespace {

using dit::testing::same_state;

QImage noise(QSize s, QImage::Format f, quint32 seed) {
    QImage img(s, f);
    QRandomGenerator rng(seed);
    for (int y = 0; y < s.height(); ++y)
        for (int x = 0; x < img.bytesPerLine(); ++x) img.scanLine(y)[x] = uint8_t(rng.bounded(256));
    return img;
}

DocumentState rich_state() {
    DocumentState s = DocumentState::blank({72, 40});
    s.image = noise(s.canvas, QImage::Format_RGB888, 1);
    s.mask = noise(s.canvas, QImage::Format_Grayscale8, 2);
    s.edges = noise(s.canvas, QImage::Format_Grayscale8, 3);
    for (int p = 0; p < 2; ++p) {
        Person person;
        for (int k = 0; k < kBodyKeypoints; ++k) person.body[size_t(k)] = {1.25f * k + p, 0.5f * k, (k + p) % 3 != 0 ? 1.f : 0.f};
        s.people.push_back(person);
    }
    s.regions.push_back({3, "a red cat", QColor(255, 0, 0), noise(s.canvas, QImage::Format_Grayscale8, 4)});
    s.regions.push_back({7, "blue sky, \"quoted\"", QColor(10, 20, 250), noise(s.canvas, QImage::Format_Grayscale8, 5)});
    s.next_region_id = 8;
    s.prompt = "a cat on a mat — ünïcödé";
    s.negative_prompt = "blurry";
    s.settings.model_dir = "/models/pixart";
    s.settings.steps = 12;
    s.settings.sampler = "euler_a";
    s.settings.cfg = 3.25;
    s.settings.seed = 18446744073709551557ull;  // above 2^53: stored as a string
    s.settings.random_seed = false;
    s.settings.strength = 0.55;
    s.settings.mode = GenerationMode::Inpaint;
    s.settings.inpaint_mode = InpaintMode::Lazy;
    s.settings.lazy_refresh = 3;
    s.settings.controls = {{"pose", true, 0.75, 0.0, 0.6}, {"edges", false, 1.5, 0.25, 1.0}};
    // The background to trace keeps its own size (not the canvas's).
    s.pose_background = noise({30, 50}, QImage::Format_RGB888, 6);
    s.pose_background_opacity = 0.3;
    settle_layers(s);  // the picture as its one layer, as a Document holds it
    return s;
}

QString error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const dit::Error& e) {
        return QString::fromUtf8(e.what());
    }
    return "<no error>";
}

void write_json(const QString& path, const QJsonObject& o) {
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(QJsonDocument(o).toJson());
}

QJsonObject read_json(const QString& path) {
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) return {};
    return QJsonDocument::fromJson(f.readAll()).object();
}

bool run(const QString& prog, const QStringList& args) {
    QProcess p;
    p.start(prog, args);
    return p.waitForFinished(5000) && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
}

}  // namespace

class TestProject : public QObject {
    Q_OBJECT

private slots:
    void round_trip_is_bit_identical() {
        QTemporaryDir tmp;
        const DocumentState s = rich_state();
        const QString folder = tmp.filePath("my project");
        save_project(s, folder);
        for (const char* f : {"project.json", "image_0.png", "mask.png", "edges.png", "pose.json", "region_0.png",
                              "region_1.png", "pose_background.png"})
            QVERIFY2(QFile::exists(folder + "/" + f), f);
        const DocumentState back = load_project(folder);
        QVERIFY(same_state(s, back));
        QCOMPARE(back.next_region_id, quint32(8));
        QCOMPARE(back.image.format(), QImage::Format_RGB888);
        QCOMPARE(back.mask.format(), QImage::Format_Grayscale8);
        const QJsonObject j = read_json(folder + "/project.json");
        QCOMPARE(j["format"].toString(), QString("dit-studio-project"));
        QCOMPARE(j["version"].toInt(), kProjectVersion);
        QCOMPARE(back.pose_background.size(), QSize(30, 50));
        QCOMPARE(back.pose_background_opacity, 0.3);
        QCOMPARE(back.settings.controls.size(), size_t(2));
        QCOMPARE(back.settings.controls[1].weight, 1.5);
        // Saving over it replaces it and leaves no temporary folders behind.
        DocumentState t = s;
        t.image = QImage();
        t.layers.clear();
        t.current_layer = 0;
        t.pose_background = QImage();
        t.regions.pop_back();
        save_project(t, folder);
        QVERIFY(same_state(load_project(folder), t));
        QVERIFY(!QFile::exists(folder + "/image_0.png"));
        QVERIFY(!QFile::exists(folder + "/region_1.png"));
        QVERIFY(!QFile::exists(folder + "/pose_background.png"));
        QVERIFY(read_json(folder + "/project.json")["layers"].toObject()["pose_background"].isNull());
        QCOMPARE(QDir(tmp.path()).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot),
                 QStringList{"my project"});
    }

    void a_failed_save_leaves_the_old_project() {
        QTemporaryDir tmp;
        const QString parent = tmp.filePath("parent"), folder = parent + "/proj";
        const DocumentState old = rich_state();
        save_project(old, folder);
        DocumentState edited = old;
        edited.prompt = "edited";
        edited.mask.fill(0);

        // Read-only: permissions for a normal user; root ignores them, so also the immutable
        // attribute where the file system has it.
        QFile::setPermissions(parent, QFile::ReadOwner | QFile::ExeOwner);
        QFile::setPermissions(folder, QFile::ReadOwner | QFile::ExeOwner);
        bool immutable = false;
        if (::geteuid() == 0) immutable = run("chattr", {"+i", parent, folder});
        auto restore = qScopeGuard([&] {
            if (immutable) run("chattr", {"-i", parent, folder});
            QFile::setPermissions(parent, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
            QFile::setPermissions(folder, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
        });
        if (::geteuid() == 0 && !immutable) QSKIP("running as root without chattr: cannot make a folder read-only");

        const QString msg = error_of([&] { save_project(edited, folder); });
        qInfo("%s", qPrintable(msg));
        QVERIFY2(msg.contains(parent), qPrintable(msg));  // names the folder that could not be written
        QVERIFY(same_state(load_project(folder), old));

        // The parent writable but the project folder itself locked: the temporary copy is made,
        // the swap fails, the copy is removed and the old project stays.
        if (immutable) {
            QVERIFY(run("chattr", {"-i", parent}));
            QFile::setPermissions(parent, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
            const QString msg2 = error_of([&] { save_project(edited, folder); });
            qInfo("%s", qPrintable(msg2));
            QVERIFY2(msg2.contains(folder), qPrintable(msg2));
            QVERIFY(same_state(load_project(folder), old));
            QCOMPARE(QDir(parent).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot), QStringList{"proj"});
        }
    }

    void broken_projects_name_file_and_field_data() {
        QTest::addColumn<QString>("what");
        QTest::addColumn<QString>("expected");
        QTest::newRow("bad json") << "bad json" << "project.json: invalid JSON at offset";
        QTest::newRow("unknown version") << "version 7" << "project.json: field 'version': 7 is newer";
        QTest::newRow("version type") << "version string" << "field 'version': expected a non-negative integer";
        QTest::newRow("wrong format") << "format" << "field 'format': expected \"dit-studio-project\"";
        QTest::newRow("absurd size") << "absurd size" << "field 'canvas.width': 100000 is out of range";
        // Found by fuzz/fuzz_project: casting these to an integer was undefined behaviour.
        QTest::newRow("huge size") << "huge size" << "field 'canvas.height': 6.33333e+70 is out of range";
        QTest::newRow("huge version") << "huge version" << "field 'version': 1e+70 is newer than this studio reads";
        QTest::newRow("missing canvas") << "no canvas" << "field 'canvas': missing";
        QTest::newRow("missing png") << "missing png" << "mask.png: cannot read";
        QTest::newRow("png size") << "png size" << "edges.png: is 8x8 but the canvas is 72x40";
        QTest::newRow("path escape") << "path escape" << "field 'layers.mask': '../mask.png' is not a file name";
        QTest::newRow("settings type") << "settings steps" << "field 'settings.steps': expected an integer, got a string";
        QTest::newRow("settings unknown") << "settings unknown" << "field 'settings.stepz': unknown field";
        QTest::newRow("pose length") << "pose length" << "pose.json: people[1].pose_keypoints_2d: expected 54 numbers";
        QTest::newRow("region colour") << "region colour" << "field 'regions[0].colour': 'reddish' is not a colour";
        QTest::newRow("background png") << "background png" << "pose_background.png: cannot read";
        QTest::newRow("background opacity") << "background opacity" << "field 'pose_background_opacity': expected a number in [0, 1]";
        QTest::newRow("control weight") << "control weight" << "field 'settings.controls[1].weight': 7 is out of range [0, 2]";
        QTest::newRow("control type") << "control type" << "field 'settings.controls[0].type': 'depth' is not one of: pose, edges";
    }
    void broken_projects_name_file_and_field() {
        QFETCH(QString, what);
        QFETCH(QString, expected);
        QTemporaryDir tmp;
        const QString folder = tmp.filePath("p");
        save_project(rich_state(), folder);
        // The document open in the studio; a failed load must not touch it.
        Document open(rich_state());
        const DocumentState before = open.state();

        QJsonObject j = read_json(folder + "/project.json");
        auto sub = [&](const char* key, const std::function<void(QJsonObject&)>& f) {
            QJsonObject o = j[key].toObject();
            f(o);
            j[key] = o;
        };
        if (what == "bad json") {
            QFile f(folder + "/project.json");
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write("{\"format\": \"dit-studio-project\", \"version\": 1,,}");
        } else {
            if (what == "version 7") j["version"] = 7;
            if (what == "version string") j["version"] = "one";
            if (what == "format") j["format"] = "something-else";
            if (what == "absurd size") sub("canvas", [](QJsonObject& o) { o["width"] = 100000; });
            if (what == "huge size") sub("canvas", [](QJsonObject& o) { o["height"] = 6.33333e70; });
            if (what == "huge version") j["version"] = 1e70;
            if (what == "no canvas") j.remove("canvas");
            if (what == "missing png") QFile::remove(folder + "/mask.png");
            if (what == "png size") {
                QImage small(8, 8, QImage::Format_Grayscale8);
                small.fill(0);
                QVERIFY(small.save(folder + "/edges.png"));
            }
            if (what == "path escape") sub("layers", [](QJsonObject& o) { o["mask"] = "../mask.png"; });
            if (what == "settings steps") sub("settings", [](QJsonObject& o) { o["steps"] = "twenty"; });
            if (what == "settings unknown") sub("settings", [](QJsonObject& o) { o["stepz"] = 3; });
            if (what == "pose length") {
                QJsonObject pose = read_json(folder + "/pose.json");
                QJsonArray people = pose["people"].toArray();
                QJsonObject p = people[1].toObject();
                QJsonArray k = p["pose_keypoints_2d"].toArray();
                k.removeLast();
                p["pose_keypoints_2d"] = k;
                people[1] = p;
                pose["people"] = people;
                write_json(folder + "/pose.json", pose);
            }
            if (what == "background png") QFile::remove(folder + "/pose_background.png");
            if (what == "background opacity") j["pose_background_opacity"] = 1.5;
            if (what == "control weight" || what == "control type")
                sub("settings", [&](QJsonObject& o) {
                    QJsonArray controls = o["controls"].toArray();
                    const int i = what == "control weight" ? 1 : 0;
                    QJsonObject c = controls[i].toObject();
                    if (what == "control weight") c["weight"] = 7;
                    else c["type"] = "depth";
                    controls[i] = c;
                    o["controls"] = controls;
                });
            if (what == "region colour") {
                QJsonArray regions = j["regions"].toArray();
                QJsonObject r = regions[0].toObject();
                r["colour"] = "reddish";
                regions[0] = r;
                j["regions"] = regions;
            }
            write_json(folder + "/project.json", j);
        }
        const QString msg = error_of([&] { load_project(folder); });
        qInfo("%s", qPrintable(msg));
        QVERIFY2(msg.contains(expected), qPrintable(msg));
        QVERIFY2(msg.startsWith(folder), qPrintable(msg));  // names the file
        QVERIFY(same_state(open.state(), before));
        QVERIFY(!open.isModified());
    }

    void missing_folder_is_an_error() {
        const QString msg = error_of([] { load_project("/nonexistent/project"); });
        QVERIFY2(msg.contains("/nonexistent/project/project.json: cannot open"), qPrintable(msg));
    }

    void version_1_migrates() {
        // A version-1 project: no pose background, settings without lazy_refresh and controls.
        QTemporaryDir tmp;
        const QString folder = tmp.filePath("v1");
        DocumentState s = rich_state();
        save_project(s, folder);
        QJsonObject j = read_json(folder + "/project.json");
        j["version"] = 1;
        j.remove("pose_background_opacity");
        QJsonObject layers = j["layers"].toObject();
        layers.remove("pose_background");
        layers["image"] = "image_0.png";  // before v4, the one picture
        j["layers"] = layers;
        j.remove("image_layers");
        j.remove("current_layer");
        QJsonObject settings = j["settings"].toObject();
        settings.remove("lazy_refresh");
        settings.remove("controls");
        j["settings"] = settings;
        write_json(folder + "/project.json", j);
        QFile::remove(folder + "/pose_background.png");

        const DocumentState back = load_project(folder);
        s.pose_background = QImage();
        s.pose_background_opacity = 0.5;
        s.settings.lazy_refresh = GenerationSettings{}.lazy_refresh;
        s.settings.controls.clear();
        QVERIFY(same_state(back, s));
        save_project(back, folder);
        QCOMPARE(read_json(folder + "/project.json")["version"].toInt(), kProjectVersion);
        QVERIFY(same_state(load_project(folder), back));
    }

    void version_0_migrates() {
        // A project as the first studio builds wrote it: flat, no format tag, no pose/regions.
        QTemporaryDir tmp;
        const QString folder = tmp.filePath("old");
        QDir().mkpath(folder);
        const QImage image = noise({48, 32}, QImage::Format_RGB888, 9);
        const QImage mask = noise({48, 32}, QImage::Format_Grayscale8, 10);
        QVERIFY(image.save(folder + "/image.png"));
        QVERIFY(mask.save(folder + "/mask.png"));
        QFile f(folder + "/project.json");
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("{\n"
                "  \"version\": 0,\n"
                "  \"width\": 48, \"height\": 32,\n"
                "  \"prompt\": \"a lighthouse\", \"negative\": \"fog\",\n"
                "  \"image\": \"image.png\", \"mask\": \"mask.png\",\n"
                "  \"model\": \"/models/pixart-512\", \"steps\": 14, \"cfg\": 5.5, \"seed\": 1234,\n"
                "  \"sampler\": \"ddim\"\n"
                "}\n");
        f.close();
        const DocumentState s = load_project(folder);
        QCOMPARE(s.canvas, QSize(48, 32));
        QCOMPARE(s.image, image);
        QCOMPARE(s.mask, mask);
        QCOMPARE(s.edges, blank_gray({48, 32}));
        QCOMPARE(s.prompt, QString("a lighthouse"));
        QCOMPARE(s.negative_prompt, QString("fog"));
        QCOMPARE(s.settings.model_dir, QString("/models/pixart-512"));
        QCOMPARE(s.settings.steps, 14);
        QCOMPARE(s.settings.cfg, 5.5);
        QCOMPARE(s.settings.seed, quint64(1234));
        QVERIFY(!s.settings.random_seed);
        QCOMPARE(s.settings.sampler, QString("ddim"));
        QCOMPARE(s.settings.width, 48);
        QVERIFY(s.people.empty() && s.regions.empty());
        // Saving writes the current version.
        save_project(s, folder);
        QCOMPARE(read_json(folder + "/project.json")["version"].toInt(), kProjectVersion);
        QVERIFY(same_state(load_project(folder), s));
    }
};

QTEST_GUILESS_MAIN(TestProject)
#include "test_project.moc"
