#pragma once
// Result images as PNG files that carry their generation parameters in text chunks:
// "parameters" (the A1111-style text most tools read) and "dit-studio" (our JSON, which
// restores every field exactly). Saves are atomic: a failed write leaves any old file intact.
#include <QImage>
#include <QString>
#include <optional>

#include "engine/image.h"
#include "engine/pipeline/engine.h"

namespace dit::studio {

QImage to_qimage(const Image& img);
Image from_qimage(const QImage& img);  // converted to RGB888

// Throws dit::Error naming the path when the file can't be written.
void save_result_png(const QString& path, const Image& img, const Request& request);
// The request stored in a PNG's "dit-studio" chunk, or nullopt if it has none. Throws
// dit::Error naming the file when it is not a readable image or the chunk is malformed.
std::optional<Request> read_result_parameters(const QString& path);

}  // namespace dit::studio
