// ReLU in place: DC-AE's decoder output activation and its "relu" block activations.
#include "kernels/cpu/ops.h"

namespace dit::kernels::host {

void relu(float* x, int64_t n) {
    for (int64_t i = 0; i < n; ++i) x[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

}  // namespace dit::kernels::host
