#include "studio/atomic_file.h"

#include <QSaveFile>

#include "engine/error.h"

namespace dit::studio {

void write_file_atomically(const QString& path, const QByteArray& bytes) {
    QSaveFile f(path);
    auto fail = [&] { throw Error((path + ": cannot write: " + f.errorString()).toStdString()); };
    if (!f.open(QIODevice::WriteOnly)) fail();
    if (f.write(bytes) != bytes.size()) {
        f.cancelWriting();
        fail();
    }
    if (!f.commit()) fail();
}

}  // namespace dit::studio
