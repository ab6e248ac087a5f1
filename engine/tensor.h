#pragma once
// A small f32 tensor: row-major, contiguous, shared storage. Compute in the engine is f32;
// f16/bf16 exist only as on-disk weight formats (see engine/io/safetensors.h). A tensor either
// owns its buffer or views memory kept alive by `keepalive` (an mmapped checkpoint), so weights
// are never copied when they are already f32.
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

namespace dit {

using Shape = std::vector<int64_t>;

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

    const Shape& shape() const { return shape_; }
    int ndim() const { return static_cast<int>(shape_.size()); }
    int64_t dim(int i) const { return shape_.at(i < 0 ? i + ndim() : i); }
    int64_t numel() const { return shape_numel(shape_); }
    bool empty() const { return ptr_ == nullptr; }

    float* data() { return ptr_; }
    const float* data() const { return ptr_; }
    float& operator[](int64_t i) { return ptr_[i]; }
    float operator[](int64_t i) const { return ptr_[i]; }

    // Same storage, new shape (numel must match; one -1 is inferred).
    Tensor reshape(Shape shape) const;
    // Rows [begin, end) of dimension 0, sharing storage.
    Tensor slice0(int64_t begin, int64_t end) const;
    Tensor clone() const;

private:
    Shape shape_;
    std::shared_ptr<const void> storage_;
    float* ptr_ = nullptr;
};

}  // namespace dit
