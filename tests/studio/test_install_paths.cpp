// Where the CLI, the studio and an installed package find the default model and the presets.
#include <QtTest>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "studio/install_paths.h"

namespace fs = std::filesystem;
using namespace dit::studio;

class TestInstallPaths : public QObject {
    Q_OBJECT
private slots:
    void init() { unsetenv("DIT_DEFAULT_MODEL"); }
    void cleanupTestCase() { unsetenv("DIT_DEFAULT_MODEL"); }

    void executableDirIsThisTestsFolder() {
        const fs::path dir = executable_dir();
        QVERIFY2(!dir.empty(), "/proc/self/exe unreadable");
        QVERIFY(fs::exists(dir / fs::path(QCoreApplication::applicationFilePath().toStdString()).filename()) ||
                fs::exists(dir));
    }

    void environmentOverridesEverything() {
        setenv("DIT_DEFAULT_MODEL", "/some/where/else", 1);
        QCOMPARE(QString::fromStdString(default_model_dir().string()), QString("/some/where/else"));
    }

    void sourceTreeModelFoundFromTheBuildTree() {
        // Built in build*/tests/: the source tree's resources/models/default is found, as a
        // folder holding model_index.json, canonical (no "..").
        const fs::path dir = default_model_dir();
        QVERIFY2(!dir.empty(), "no default model found");
        QVERIFY(fs::is_regular_file(dir / "model_index.json"));
        QCOMPARE(QString::fromStdString(dir.filename().string()), QString("default"));
        QVERIFY2(dir.string().find("..") == std::string::npos, dir.c_str());
    }

    void presetsFoundOnceEach() {
        const auto dirs = shipped_data_dirs("presets");
        QVERIFY(!dirs.empty());
        QVERIFY(fs::is_regular_file(dirs.front() / "draft.json"));
        for (size_t i = 0; i < dirs.size(); ++i)
            for (size_t j = i + 1; j < dirs.size(); ++j) QVERIFY(dirs[i] != dirs[j]);
        QVERIFY(shipped_data_dirs("no-such-folder-anywhere").empty());
    }
};

QTEST_GUILESS_MAIN(TestInstallPaths)
#include "test_install_paths.moc"
