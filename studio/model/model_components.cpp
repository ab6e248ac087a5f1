#include "studio/model/model_components.h"

#include <QDir>
#include <QStringList>
#include <exception>

#include "engine/io/weights.h"

namespace dit::studio {

QList<ModelComponent> model_components(const QString& model_dir) {
    QList<ModelComponent> out;
    for (const char* name : {"transformer", "text_encoder", "vae"}) {
        const QString dir = QDir(model_dir).filePath(QString::fromLatin1(name));
        if (!QDir(dir).exists()) continue;
        ModelComponent c;
        c.name = QString::fromLatin1(name);
        try {
            const WeightStore store = WeightStore::open(dir.toStdString());
            c.source = QString::fromStdString(store.source().string());
            c.bytes = qint64(store.stored_bytes());
            c.types = QString::fromStdString(store.dtype_summary());
        } catch (const std::exception& e) {
            c.problem = QString::fromUtf8(e.what());
        }
        out << c;
    }
    return out;
}

QString describe_components(const QList<ModelComponent>& components) {
    QStringList parts;
    for (const auto& c : components) {
        QString label = c.name;
        label.replace(QLatin1Char('_'), QLatin1Char(' '));
        if (!c.problem.isEmpty()) {
            parts << label + QStringLiteral(" unreadable");
            continue;
        }
        // Quantized types name the component (biases and norms stay f32 and outnumber its
        // matrices); a float-only component is named by its most common type.
        QStringList quantized;
        QString common;
        int most = -1;
        for (const QString& entry : c.types.split(QStringLiteral(", "), Qt::SkipEmptyParts)) {
            const QString type = entry.section(QLatin1Char(' '), 0, 0);
            const int n = entry.section(QLatin1Char(' '), 1, 1).toInt();
            if (!QStringList{"F32", "F16", "BF16", "F64"}.contains(type)) quantized << type;
            if (n > most) most = n, common = type;
        }
        const QString main = quantized.isEmpty() ? common : quantized.join(QLatin1Char('+'));
        const double mib = double(c.bytes) / (1024.0 * 1024.0);
        parts << QStringLiteral("%1 %2 %3").arg(label, mib >= 1024 ? QStringLiteral("%1 GiB").arg(mib / 1024, 0, 'f', 1)
                                                                   : QStringLiteral("%1 MiB").arg(mib, 0, 'f', 1),
                                                main);
    }
    return parts.join(QStringLiteral(" · "));
}

}  // namespace dit::studio
