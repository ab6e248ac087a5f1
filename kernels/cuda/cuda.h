#pragma once
// The CUDA backend: the op interface of kernels/cpu/ops.h on an NVIDIA GPU. This header is plain
// C++ (no CUDA headers) so every layer can name it; the kernels live in the .cu files beside it,
// one per op family, each checked op by op against kernels::reference() (tests/kernels,
// docs/cuda.md).
//
// Pointer contract: every float / int32 pointer an op takes is DEVICE memory (from allocate()),
// except a WeightRef, which names immutable HOST weights (the checkpoint mapping): the backend
// uploads each such matrix once, as bf16, and keeps it until drop_cached_weights(). Ops are
// queued on the backend's stream; upload(), download() and synchronize() wait for them.
// allocate() serves from a pool of blocks released earlier (exact rounded sizes), so a denoising
// step allocates nothing once the first step has run; it throws DeviceOutOfMemory when the device
// is full even after the pool is emptied.
#include <cstddef>
#include <stdexcept>
#include <string>

#include "kernels/cpu/ops.h"

namespace dit::kernels::cuda {

// A CUDA call failed; the message names the call, the file and line, and CUDA's reason.
struct CudaError : std::runtime_error {
    using std::runtime_error::runtime_error;
};
// The device ran out of memory (after the backend gave its pooled blocks back and tried again):
// a kernels::OutOfMemory, which the engine answers by generating on the CPU.
struct DeviceOutOfMemory : OutOfMemory {
    using OutOfMemory::OutOfMemory;
};

struct DeviceInfo {
    std::string name;
    int major = 0, minor = 0;  // compute capability
    int multiprocessors = 0;
    size_t memory_bytes = 0;
};

// "" when a usable GPU is present, otherwise why not (no driver, no device, too old a device).
std::string unavailable_reason();
inline bool available() { return unavailable_reason().empty(); }
DeviceInfo device_info();  // throws CudaError when unavailable

class CudaBackend : public Backend {
public:
    // The upload cache and scratch live as long as the backend; the engine holds one per process.
    // drop_cached_weights() (ops.h) also gives the pool's idle blocks back to CUDA.
    virtual void synchronize() = 0;
    // Attention on the tensor cores in bf16 (the default, head dims up to 128) or, when exact,
    // in f32 on the CUDA cores. DIT_CUDA_EXACT_ATTENTION=1 in the environment starts it exact.
    virtual void set_exact_attention(bool exact) = 0;
    // The stream every op is queued on (a cudaStream_t), for callers that time ops with events.
    virtual void* stream() const = 0;
    // Bytes of device memory in use on the device right now (total - free, cudaMemGetInfo).
    virtual size_t device_bytes_in_use() const = 0;
};

// The process's CUDA backend on device 0; throws CudaError naming the reason when unavailable.
CudaBackend& backend();

}  // namespace dit::kernels::cuda
