#include "engine/models/step_cache.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "engine/error.h"

namespace dit {

StepCacheSetting StepCacheSetting::parse(const std::string& text) {
    const std::string accepted = " (accepted: off, or teacache:THRESH with THRESH a number >= 0, e.g. teacache:0.2)";
    if (text == "off") return {};
    const std::string prefix = "teacache:";
    if (text.rfind(prefix, 0) != 0) throw Error("cache '" + text + "' is not a step-cache setting" + accepted);
    const std::string number = text.substr(prefix.size());
    char* end = nullptr;
    errno = 0;
    const float t = number.empty() || std::isspace(static_cast<unsigned char>(number[0]))
                        ? NAN
                        : std::strtof(number.c_str(), &end);
    if (std::isnan(t) || errno == ERANGE || !end || *end != '\0' || !std::isfinite(t))
        throw Error("cache '" + text + "': the threshold '" + number + "' is not a finite number" + accepted);
    if (t < 0) throw Error("cache '" + text + "': the threshold must be >= 0" + accepted);
    return {true, t};
}

StepCache::StepCache(float threshold) : threshold_(threshold) {
    if (!(threshold >= 0) || !std::isfinite(threshold))
        throw Error("step cache: threshold " + std::to_string(threshold) + " must be a finite number >= 0");
}

void StepCache::begin_step(int step, int steps, bool force_run) {
    force_ = force_run || step == 0 || step + 1 >= steps;
}

bool StepCache::skip(const float* modulated, int64_t n, kernels::Backend& ops) {
    const float* cur = modulated;
    if (!ops.host_memory()) {
        current_.resize(size_t(n));
        ops.download(current_.data(), modulated, sizeof(float) * size_t(n));
        cur = current_.data();
    }
    // TeaCache's signal: mean |cur - prev| / mean |prev| (the means' 1/n cancel).
    const bool comparable = previous_.size() == size_t(n) && residual_.numel() == n;
    double change = 0;
    if (comparable) {
        double diff = 0, base = 0;
        for (int64_t i = 0; i < n; ++i) {
            diff += std::fabs(double(cur[i]) - double(previous_[size_t(i)]));
            base += std::fabs(double(previous_[size_t(i)]));
        }
        change = base > 0 ? diff / base : INFINITY;
    }
    previous_.assign(cur, cur + n);
    if (force_ || !comparable) {
        accumulated_ = 0;
        return false;
    }
    accumulated_ += change;
    // Strictly under: threshold 0 never skips, so it is the plain run bit for bit.
    if (accumulated_ < double(threshold_)) {
        ++skipped_;
        return true;
    }
    accumulated_ = 0;
    return false;
}

void StepCache::reuse(float* x, int64_t n, kernels::Backend& ops) const {
    if (residual_.numel() != n) throw Error("step cache: no residual of " + std::to_string(n) + " values to reuse");
    ops.add_gated(x, residual_.ptr(), nullptr, 1, 1, n);
}

void StepCache::keep_input(const float* x, int64_t n, kernels::Backend& ops) {
    if (residual_.numel() != n) residual_ = Tensor::on(ops, {n});
    ops.copy(residual_.ptr(), x, sizeof(float) * size_t(n));
}

void StepCache::store_residual(const float* x, int64_t n, kernels::Backend& ops) {
    // residual = x - input: -input + x is the same IEEE subtraction.
    ops.affine(residual_.ptr(), n, -1.0f, 0.0f);
    ops.add_gated(residual_.ptr(), x, nullptr, 1, 1, n);
}

}  // namespace dit
