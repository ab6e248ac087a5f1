#include "studio/result_png.h"

#include <QBuffer>
#include <QFileInfo>
#include <QImageReader>
#include <QJsonDocument>
#include <QJsonObject>
#include <QImageWriter>
#include <QSaveFile>
#include <cstring>

#include "engine/error.h"
#include "engine/pipeline/parameters.h"

namespace dit::studio {

QImage to_qimage(const Image& img) {
    QImage q(img.width, img.height, QImage::Format_RGB888);
    for (int y = 0; y < img.height; ++y)
        std::memcpy(q.scanLine(y), img.rgb.data() + size_t(y) * img.width * 3, size_t(img.width) * 3);
    return q;
}

Image from_qimage(const QImage& src) {
    const QImage q = src.convertToFormat(QImage::Format_RGB888);
    Image img{q.width(), q.height(), std::vector<uint8_t>(size_t(q.width()) * q.height() * 3)};
    for (int y = 0; y < q.height(); ++y)
        std::memcpy(img.rgb.data() + size_t(y) * img.width * 3, q.constScanLine(y), size_t(img.width) * 3);
    return img;
}

namespace {

QImage with_parameter_text(QImage q, const Request& request, const QString& record) {
    q.setText("parameters", QString::fromStdString(parameters_text(request)));
    q.setText("dit-studio", QString::fromStdString(parameters_json(request)));
    if (!record.isEmpty()) q.setText("dit-studio-result", record);
    return q;
}

void write_png_with_text(const QString& path, QImage image, const Request& request, const QString& record) {
    const QImage q = with_parameter_text(std::move(image), request, record);
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        throw Error(path.toStdString() + ": cannot write: " + file.errorString().toStdString());
    QImageWriter writer(&file, "png");
    if (!writer.write(q)) {
        file.cancelWriting();
        throw Error(path.toStdString() + ": cannot write PNG: " + writer.errorString().toStdString());
    }
    if (!file.commit())
        throw Error(path.toStdString() + ": cannot write: " + file.errorString().toStdString());
}

}  // namespace

QImage make_thumbnail(const QImage& image) {
    if (image.width() <= kThumbnailSize && image.height() <= kThumbnailSize) return image;
    return image.scaled(kThumbnailSize, kThumbnailSize, Qt::KeepAspectRatio, Qt::SmoothTransformation);
}

void save_result_png(const QString& path, const Image& img, const Request& request) {
    write_png_with_text(path, to_qimage(img), request, {});
}

QByteArray encode_result_png(const Image& img, const Request& request) {
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    QImageWriter writer(&buffer, "png");
    if (!writer.write(with_parameter_text(to_qimage(img), request, {})))
        throw Error("cannot encode PNG: " + writer.errorString().toStdString());
    return bytes;
}

void save_result_png(const QString& path, const GalleryItem& item) {
    const QJsonObject record{{"seconds", item.seconds},
                             {"notice", item.notice},
                             {"created", item.created.toString(Qt::ISODateWithMs)}};
    write_png_with_text(path, item.image.convertToFormat(QImage::Format_RGB888), item.request,
                        QString::fromUtf8(QJsonDocument(record).toJson(QJsonDocument::Compact)));
}

GalleryItem read_result_png(const QString& path, bool thumbnail_only) {
    const std::optional<Request> request = read_result_parameters(path);
    if (!request) throw Error(path.toStdString() + ": carries no DiT Studio parameters (chunk 'dit-studio')");
    QImageReader reader(path);
    GalleryItem item;
    item.request = *request;
    item.file = path;
    const QJsonObject record = QJsonDocument::fromJson(reader.text("dit-studio-result").toUtf8()).object();
    item.seconds = record["seconds"].toDouble();
    item.notice = record["notice"].toString();
    item.created = QDateTime::fromString(record["created"].toString(), Qt::ISODateWithMs);
    if (!item.created.isValid()) item.created = QFileInfo(path).lastModified();
    const QSize size = reader.size();
    if (thumbnail_only && size.isValid()) {
        reader.setScaledSize(size.scaled(QSize(kThumbnailSize, kThumbnailSize).boundedTo(size), Qt::KeepAspectRatio));
        item.thumbnail = reader.read().convertToFormat(QImage::Format_RGB888);
        if (item.thumbnail.isNull())
            throw Error(path.toStdString() + ": cannot read: " + reader.errorString().toStdString());
        return item;
    }
    item.image = reader.read().convertToFormat(QImage::Format_RGB888);
    if (item.image.isNull()) throw Error(path.toStdString() + ": cannot read: " + reader.errorString().toStdString());
    item.thumbnail = make_thumbnail(item.image);
    return item;
}

std::optional<Request> read_result_parameters(const QString& path) {
    QImageReader reader(path);
    if (!reader.canRead())
        throw Error(path.toStdString() + ": not a readable image: " + reader.errorString().toStdString());
    const QString json = reader.text("dit-studio");
    if (json.isEmpty()) return std::nullopt;
    try {
        return parameters_from_json(json.toStdString());
    } catch (const Error& e) {
        throw Error(path.toStdString() + ": " + e.what());
    }
}

}  // namespace dit::studio
