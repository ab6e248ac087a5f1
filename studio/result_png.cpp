#include "studio/result_png.h"

#include <QImageReader>
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

void save_result_png(const QString& path, const Image& img, const Request& request) {
    QImage q = to_qimage(img);
    q.setText("parameters", QString::fromStdString(parameters_text(request)));
    q.setText("dit-studio", QString::fromStdString(parameters_json(request)));
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
