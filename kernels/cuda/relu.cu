// ReLU in place.
#include "kernels/cuda/common.cuh"

namespace dit::kernels::cuda {
namespace {

__global__ void relu_kernel(float* x, int64_t n) {
    DIT_GRID_STRIDE(i, n) x[i] = fmaxf(x[i], 0.f);
}

}  // namespace

void relu(cudaStream_t s, float* x, int64_t n) {
    if (n == 0) return;
    relu_kernel<<<elementwise_blocks(n), kThreads, 0, s>>>(x, n);
    DIT_CUDA_LAUNCHED();
}

}  // namespace dit::kernels::cuda
