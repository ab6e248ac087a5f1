#include "studio/gallery/gallery_store.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QStandardPaths>

#include "engine/error.h"
#include "studio/result_png.h"

namespace dit::studio {

GalleryStore::GalleryStore(const QString& dir) : dir_(dir.isEmpty() ? default_dir() : dir) {}

QString GalleryStore::default_dir() {
    const QString env = qEnvironmentVariable("DIT_STUDIO_GALLERY");
    return env.isEmpty() ? QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + "/gallery" : env;
}

QString GalleryStore::add(const GalleryItem& item) const {
    if (!QDir().mkpath(dir_)) throw Error((dir_ + ": cannot create the gallery folder").toStdString());
    const QDateTime when = item.created.isValid() ? item.created : QDateTime::currentDateTime();
    const QString stem = when.toString(QStringLiteral("yyyyMMdd-HHmmss-zzz")) + QStringLiteral("-%1").arg(item.request.seed);
    // Two results in the same millisecond with the same seed (a batch) get a counter.
    QString path = dir_ + "/" + stem + ".png";
    for (int n = 2; QFileInfo::exists(path); ++n) path = QStringLiteral("%1/%2-%3.png").arg(dir_, stem).arg(n);
    save_result_png(path, item);
    return path;
}

std::vector<GalleryItem> GalleryStore::list(int limit, QStringList* problems) const {
    std::vector<GalleryItem> out;
    const QFileInfoList files = QDir(dir_).entryInfoList({QStringLiteral("*.png")}, QDir::Files, QDir::Name | QDir::Reversed);
    for (const QFileInfo& f : files) {
        if (int(out.size()) >= limit) break;
        try {
            out.push_back(read_result_png(f.absoluteFilePath(), /*thumbnail_only=*/true));
        } catch (const std::exception& e) {
            if (problems) problems->append(QString::fromUtf8(e.what()));
        }
    }
    return out;
}

void GalleryStore::remove(const QString& file) const {
    const QFileInfo f(file);
    if (QDir::cleanPath(f.absolutePath()) != QDir::cleanPath(QFileInfo(dir_).absoluteFilePath()))
        throw Error((file + ": not in the gallery folder " + dir_).toStdString());
    if (!f.exists()) return;
    QFile q(file);
    if (!q.moveToTrash() && !q.remove())
        throw Error((file + ": cannot remove: " + q.errorString()).toStdString());
}

}  // namespace dit::studio
