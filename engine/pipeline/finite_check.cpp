#include "engine/pipeline/finite_check.h"

#include <cmath>

#include "engine/error.h"

namespace dit {

void require_finite(const Tensor& t, const std::string& component, const std::string& when,
                    const std::string& cause) {
    const Tensor host = t.device() ? t.to_host() : t;  // a device backend's output comes over once
    const float* p = host.data();
    int64_t bad = 0, nan = 0;
    for (int64_t i = 0; i < t.numel(); ++i)
        if (!std::isfinite(p[i])) {
            ++bad;
            nan += std::isnan(p[i]);
        }
    if (bad == 0) return;
    throw Error(when + ": the " + component + " is not finite (" + std::to_string(bad) + " of " +
                std::to_string(t.numel()) + " values are " + (nan == bad ? "NaN" : nan ? "NaN or infinite" : "infinite") +
                "); " + cause + "; no image was written");
}

std::string step_label(int step, int steps) { return "step " + std::to_string(step) + "/" + std::to_string(steps); }

}  // namespace dit
