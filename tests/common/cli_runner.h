#pragma once
// Runs the built dit-cli as a user would and collects its exit code and stderr.
#include <QProcess>
#include <QString>
#include <QStringList>

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

}  // namespace dit::testing
