#pragma once
// The per-user gallery: every result the studio makes is written here the moment it arrives, so
// no result is ever lost with an unsaved project, a crash or a quit. One PNG per result (its
// parameters and record in text chunks, studio/result_png.h), named by when it was made, so the
// folder sorts newest last and any image viewer browses it.
//
// The folder: $DIT_STUDIO_GALLERY when set, else <AppDataLocation>/gallery.
#include <QString>
#include <QStringList>
#include <vector>

#include "studio/gallery/gallery_item.h"

namespace dit::studio {

class GalleryStore {
public:
    explicit GalleryStore(const QString& dir = {});
    QString dir() const { return dir_; }
    static QString default_dir();

    // Writes `item` as a new PNG and returns its path. Throws dit::Error naming the file.
    QString add(const GalleryItem& item) const;
    // The newest `limit` results, newest first, with thumbnails only (read_result_png loads one
    // fully). A file that cannot be read is skipped and named in `problems`.
    std::vector<GalleryItem> list(int limit = 500, QStringList* problems = nullptr) const;
    // Moves the file to the desktop's trash where there is one, else deletes it. Throws
    // dit::Error when the file is not in this gallery or cannot be removed.
    void remove(const QString& file) const;

private:
    QString dir_;
};

}  // namespace dit::studio
