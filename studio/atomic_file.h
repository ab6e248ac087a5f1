#pragma once
// Whole-file writes that either land completely or leave the old file untouched (QSaveFile:
// a temp file renamed over the target on commit). Errors are dit::Error naming the path.
#include <QByteArray>
#include <QString>

namespace dit::studio {

void write_file_atomically(const QString& path, const QByteArray& bytes);

}  // namespace dit::studio
