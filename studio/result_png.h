#pragma once
// Result images as PNG files that carry their generation parameters in text chunks:
// "parameters" (the A1111-style text most tools read) and "dit-studio" (our JSON, which
// restores every field exactly). Saves are atomic: a failed write leaves any old file intact.
#include <QByteArray>
#include <QImage>
#include <QString>
#include <optional>

#include "engine/image.h"
#include "engine/pipeline/engine.h"
#include "studio/gallery/gallery_item.h"

namespace dit::studio {

QImage to_qimage(const Image& img);
Image from_qimage(const QImage& img);  // converted to RGB888

// Throws dit::Error naming the path when the file can't be written.
void save_result_png(const QString& path, const Image& img, const Request& request);
// The bytes save_result_png(path, img, request) writes, for a result that travels (the queue).
QByteArray encode_result_png(const Image& img, const Request& request);
// The request stored in a PNG's "dit-studio" chunk, or nullopt if it has none. Throws
// dit::Error naming the file when it is not a readable image or the chunk is malformed.
std::optional<Request> read_result_parameters(const QString& path);

// A result with what the studio knows of it: the parameters, and a "dit-studio-result" chunk
// ({"seconds", "notice", "created"}) so a reopened result says how it was made. Atomic; throws
// dit::Error naming the path.
void save_result_png(const QString& path, const GalleryItem& item);
// Reads a result PNG written by either save_result_png: the image (unless `thumbnail_only`, when
// only the thumbnail is decoded, at its reduced size), its parameters and its record. Throws
// dit::Error naming the file when it is unreadable or carries no parameters.
GalleryItem read_result_png(const QString& path, bool thumbnail_only = false);

}  // namespace dit::studio
