#include "studio/model/backends.h"

#include <QCoreApplication>
#include <algorithm>

#include "engine/pipeline/engine.h"

namespace dit::studio {

QList<BackendChoice> backend_choices() {
    QList<BackendChoice> out = {{QStringLiteral("cpu"), QCoreApplication::translate("backends", "CPU (fast)")},
                                {QStringLiteral("cpu-reference"), QCoreApplication::translate("backends", "CPU (reference loops)")}};
    const auto names = dit::available_backends();
    if (std::find(names.begin(), names.end(), "cuda") != names.end()) {
        out.push_back({QStringLiteral("cuda"), QCoreApplication::translate("backends", "GPU (CUDA)")});
        out.push_back({QStringLiteral("auto"), QCoreApplication::translate("backends", "Automatic (GPU when present)")});
    }
    // Always offered: the farm's GPUs are not this machine's (docs/remote.md).
    out.push_back({QStringLiteral("remote"), QCoreApplication::translate("backends", "Remote queue")});
    return out;
}

}  // namespace dit::studio
