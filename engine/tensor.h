#pragma once
// A small tensor: row-major, contiguous, shared storage. Compute in the engine is f32; a tensor
// is f32 unless it is a read-only view of f16/bf16 weights inside an mmapped checkpoint, which
// only the dtype-aware ops read (Backend::linear with a WeightRef, kernels::to_f32): data() and
// operator[] refuse such a tensor rather than hand out its bits as floats. A tensor either owns
// its buffer or views memory kept alive by `keepalive` (the mapping), so weights are never copied.
//
// A tensor may also live in a backend's memory (Tensor::on): for a device backend (CUDA, or the
// test backend kernels::isolated()) host code cannot read it, so data() and operator[] refuse it
// and ptr() hands its address to the ops; to_host() and to() move tensors between the two.
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "kernels/cpu/dtype.h"
#include "kernels/cpu/ops.h"

namespace dit {

using Shape = std::vector<int64_t>;
// Storage formats (F32, F16, BF16); defined with the kernels that widen them.
using kernels::DType;
using kernels::dtype_name;
using kernels::block_size;
using kernels::storage_bytes;

std::string shape_str(const Shape& s);  // "[2, 4, 32, 32]"
int64_t shape_numel(const Shape& s);

class Tensor {
public:
    Tensor() = default;
    explicit Tensor(Shape shape);                       // owned, zero-filled
    Tensor(Shape shape, float fill);                    // owned, filled
    static Tensor from(Shape shape, std::vector<float> values);
    // Non-owning view; `keepalive` holds whatever owns the memory (may be null for static data).
    static Tensor view(const float* data, Shape shape, std::shared_ptr<const void> keepalive);
    // Non-owning view of elements stored as `dtype`. Ops expect it aligned to its element size;
    // clone() of a misaligned view (memcpy) gives an aligned owned copy.
    static Tensor view(const void* data, DType dtype, Shape shape, std::shared_ptr<const void> keepalive);

    // In `ops`'s memory, zero-filled: a host tensor for the CPU backends (so nothing changes
    // for them), device memory for a device backend.
    static Tensor on(kernels::Backend& ops, Shape shape);

    const Shape& shape() const { return shape_; }
    int ndim() const { return static_cast<int>(shape_.size()); }
    int64_t dim(int i) const { return shape_.at(i < 0 ? i + ndim() : i); }
    int64_t numel() const { return shape_numel(shape_); }
    bool empty() const { return ptr_ == nullptr; }
    DType dtype() const { return dtype_; }
    const void* raw() const { return ptr_; }  // the elements in their storage format
    kernels::WeightRef weight_ref() const { return {ptr_, dtype_, scale_}; }
    // What every stored value is multiplied by when widened (ComfyUI's scaled FP8 weights keep
    // it beside the weight as `scale_weight`); 1 for everything else.
    float scale() const { return scale_; }
    Tensor scaled(float s) const;  // the same storage with this scale

    // f32 elements for host code; throws std::logic_error for a view of stored weights (use to_f32() or
    // a WeightRef) and for a tensor in device memory (use to_host()).
    float* data() { return host_f32(); }
    const float* data() const { return host_f32(); }
    float& operator[](int64_t i) { return host_f32()[i]; }
    float operator[](int64_t i) const { return host_f32()[i]; }
    // The f32 elements wherever they live, for an op's arguments (the backend of that memory).
    float* ptr() const { return f32(); }
    // The backend whose device memory holds this tensor; null for host memory.
    kernels::Backend* device() const { return device_; }
    // This tensor in host memory (itself when it is there already).
    Tensor to_host() const;
    // This tensor in `ops`'s memory (itself when it is there already; host tensors stay host
    // tensors for the CPU backends).
    Tensor to(kernels::Backend& ops) const;

    // Same storage, new shape (numel must match; one -1 is inferred).
    Tensor reshape(Shape shape) const;
    // Rows [begin, end) of dimension 0, sharing storage.
    Tensor slice0(int64_t begin, int64_t end) const;
    Tensor clone() const;  // an owned copy in the same dtype and memory
    // This tensor when it is already F32 (shared storage), else an owned f32 copy.
    Tensor to_f32() const;

private:
    float* f32() const {
        if (dtype_ != DType::F32 || scale_ != 1.0f) [[unlikely]] not_f32();
        return static_cast<float*>(ptr_);
    }
    float* host_f32() const {
        if (device_) [[unlikely]] not_host();
        return f32();
    }
    [[noreturn]] void not_f32() const;
    [[noreturn]] void not_host() const;

    Shape shape_;
    std::shared_ptr<const void> storage_;
    void* ptr_ = nullptr;
    DType dtype_ = DType::F32;
    float scale_ = 1.0f;
    kernels::Backend* device_ = nullptr;  // set for device memory (ops.host_memory() false)
};

// int32 values (token lists, region groups) in a backend's memory, for the ops that take them.
class IndexArray {
public:
    IndexArray() = default;
    IndexArray(kernels::Backend& ops, const std::vector<int32_t>& values);
    const int32_t* ptr() const { return ptr_; }  // null when empty
    int64_t size() const { return n_; }

private:
    std::shared_ptr<const void> storage_;
    const int32_t* ptr_ = nullptr;
    int64_t n_ = 0;
};

}  // namespace dit
