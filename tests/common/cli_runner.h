#pragma once
// Runs the built dit-cli as a user would and collects its exit code and stderr.
#include <QImage>
#include <QProcess>
#include <QString>
#include <QStringList>

#include "engine/io/npy.h"
#include "studio/result_png.h"
#include "tests/common/test_helpers.h"

namespace dit::testing {

inline const QString kCli = QStringLiteral(DIT_BINARY_DIR "/app/dit-cli");

struct CliRun {
    int code = -1;  // -1: crashed or timed out
    QString err;
    QString out;
};

inline CliRun run_cli(const QStringList& args, int timeout_ms = 300000) {
    QProcess p;
    p.start(kCli, args);
    if (!p.waitForFinished(timeout_ms)) {
        p.kill();
        p.waitForFinished();
        return {-1, "timed out", {}};
    }
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1,
            QString::fromUtf8(p.readAllStandardError()), QString::fromUtf8(p.readAllStandardOutput())};
}

// The same for a PNG the CLI wrote, against a reference .npy.
inline double max_level_error(const QString& png, const QString& reference_npy) {
    const QImage img(png);
    if (img.isNull()) return 1e9;
    return max_level_error(studio::from_qimage(img), read_npy(reference_npy.toStdString()));
}

}  // namespace dit::testing
