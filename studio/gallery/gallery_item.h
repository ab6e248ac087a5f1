#pragma once
// One result of a generation as the studio keeps it: in a document's results (saved with the
// project), in the per-user gallery, and as a PNG file that carries its parameters.
#include <QDateTime>
#include <QImage>
#include <QMetaType>
#include <QString>

#include "engine/pipeline/engine.h"

namespace dit::studio {

struct GalleryItem {
    QImage image;          // Format_RGB888; null in a gallery listing until loaded (thumbnail only)
    QImage thumbnail;      // at most kThumbnailSize a side
    dit::Request request;  // its parameters (the input pictures are not kept on disk)
    double seconds = 0;    // how long the generation took
    QString notice;        // the engine's notice (e.g. it ran on the CPU after the GPU ran out)
    QDateTime created;
    quint64 id = 0;        // the generation's number in the session that made it; 0 when unknown
    // A PNG on disk holding exactly this image and its parameters, or "" when there is none
    // (then a save encodes the image; otherwise it copies the file).
    QString file;
};

constexpr int kThumbnailSize = 128;
QImage make_thumbnail(const QImage& image);

}  // namespace dit::studio

Q_DECLARE_METATYPE(dit::studio::GalleryItem)
