#include "engine/tensor.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace dit {

std::string shape_str(const Shape& s) {
    std::string out = "[";
    for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
    return out + "]";
}

int64_t shape_numel(const Shape& s) {
    int64_t n = 1;
    for (int64_t d : s) n *= d;
    return n;
}

Tensor::Tensor(Shape shape) : Tensor(std::move(shape), 0.0f) {}

Tensor::Tensor(Shape shape, float fill) : shape_(std::move(shape)) {
    for (int64_t d : shape_)
        if (d < 0) throw std::invalid_argument("tensor: negative dimension in " + shape_str(shape_));
    const int64_t n = std::max<int64_t>(numel(), 1);
    auto buf = std::shared_ptr<float[]>(new float[n]);
    std::fill(buf.get(), buf.get() + n, fill);
    ptr_ = buf.get();
    storage_ = std::shared_ptr<const void>(buf, buf.get());
}

Tensor Tensor::from(Shape shape, std::vector<float> values) {
    if (static_cast<int64_t>(values.size()) != shape_numel(shape))
        throw std::invalid_argument("tensor: " + std::to_string(values.size()) +
                                    " values do not fill shape " + shape_str(shape));
    Tensor t(std::move(shape));
    std::copy(values.begin(), values.end(), t.data());
    return t;
}

Tensor Tensor::view(const float* data, Shape shape, std::shared_ptr<const void> keepalive) {
    return view(data, DType::F32, std::move(shape), std::move(keepalive));
}

Tensor Tensor::view(const void* data, DType dtype, Shape shape, std::shared_ptr<const void> keepalive) {
    Tensor t;
    t.shape_ = std::move(shape);
    t.ptr_ = const_cast<void*>(data);
    t.dtype_ = dtype;
    t.storage_ = std::move(keepalive);
    return t;
}

Tensor Tensor::on(kernels::Backend& ops, Shape shape) {
    if (ops.host_memory()) return Tensor(std::move(shape));
    for (int64_t d : shape)
        if (d < 0) throw std::invalid_argument("tensor: negative dimension in " + shape_str(shape));
    Tensor t;
    t.shape_ = std::move(shape);
    const size_t bytes = sizeof(float) * size_t(std::max<int64_t>(t.numel(), 1));
    void* p = ops.allocate(bytes);
    kernels::Backend* owner = &ops;
    t.storage_ = std::shared_ptr<const void>(p, [owner](const void* q) { owner->release(const_cast<void*>(q)); });
    t.ptr_ = p;
    t.device_ = owner;
    ops.fill_zero(p, bytes);
    return t;
}

Tensor Tensor::to_host() const {
    if (!device_) return *this;
    Tensor t(shape_);
    if (numel()) device_->download(t.ptr_, ptr_, sizeof(float) * size_t(numel()));
    return t;
}

Tensor Tensor::to(kernels::Backend& ops) const {
    if (device_ == &ops || (!device_ && ops.host_memory())) return *this;
    const Tensor host = to_host();
    Tensor t = on(ops, shape_);
    if (numel()) ops.upload(t.ptr_, host.f32(), sizeof(float) * size_t(numel()));
    return t;
}

IndexArray::IndexArray(kernels::Backend& ops, const std::vector<int32_t>& values) : n_(int64_t(values.size())) {
    if (values.empty()) return;
    const size_t bytes = values.size() * sizeof(int32_t);
    void* p = ops.allocate(bytes);
    kernels::Backend* owner = &ops;
    storage_ = std::shared_ptr<const void>(p, [owner](const void* q) { owner->release(const_cast<void*>(q)); });
    ops.upload(p, values.data(), bytes);
    ptr_ = static_cast<const int32_t*>(p);
}

void Tensor::not_host() const {
    throw std::logic_error(std::string("tensor: ") + shape_str(shape_) + " lives in " + device_->name() +
                           " memory, which host code cannot read; copy it with to_host()");
}

void Tensor::not_f32() const {
    throw std::logic_error(std::string("tensor: ") + shape_str(shape_) + " holds " + dtype_name(dtype_) +
                           (scale_ != 1.0f ? " weights with a scale" : " weights") +
                           ", not f32; read it through a WeightRef op or to_f32()");
}

Tensor Tensor::reshape(Shape shape) const {
    int64_t known = 1, infer = -1;
    for (size_t i = 0; i < shape.size(); ++i) {
        if (shape[i] == -1) {
            if (infer >= 0) throw std::invalid_argument("reshape: more than one -1");
            infer = static_cast<int64_t>(i);
        } else {
            known *= shape[i];
        }
    }
    if (infer >= 0 && known > 0) shape[infer] = numel() / known;
    if (shape_numel(shape) != numel())
        throw std::invalid_argument("reshape: " + shape_str(shape_) + " -> " + shape_str(shape));
    Tensor t = *this;
    t.shape_ = std::move(shape);
    return t;
}

Tensor Tensor::slice0(int64_t begin, int64_t end) const {
    if (ndim() == 0 || begin < 0 || end > shape_[0] || begin > end)
        throw std::out_of_range("slice0: [" + std::to_string(begin) + ", " + std::to_string(end) +
                                ") of " + shape_str(shape_));
    Tensor t = *this;
    const int64_t row = shape_[0] ? numel() / shape_[0] : 0;
    t.ptr_ = static_cast<char*>(ptr_) + kernels::storage_bytes(dtype_, begin * row);
    t.shape_[0] = end - begin;
    return t;
}

Tensor Tensor::clone() const {
    if (device_) {
        Tensor t = on(*device_, shape_);
        if (numel()) device_->copy(t.ptr_, ptr_, sizeof(float) * size_t(numel()));
        return t;
    }
    if (dtype_ == DType::F32 && scale_ == 1.0f) {
        Tensor t(shape_);
        if (numel()) std::memcpy(t.ptr_, ptr_, sizeof(float) * numel());
        return t;
    }
    const int64_t bytes = kernels::storage_bytes(dtype_, numel());
    auto buf = std::shared_ptr<unsigned char[]>(new unsigned char[size_t(std::max<int64_t>(bytes, 8))]);
    if (bytes) std::memcpy(buf.get(), ptr_, size_t(bytes));
    Tensor t;
    t.shape_ = shape_;
    t.ptr_ = buf.get();
    t.dtype_ = dtype_;
    t.scale_ = scale_;
    t.storage_ = std::shared_ptr<const void>(buf, buf.get());
    return t;
}

Tensor Tensor::to_f32() const {
    if (dtype_ == DType::F32 && scale_ == 1.0f) return *this;
    if (device_) throw std::logic_error("tensor: to_f32() of a scaled tensor in device memory");
    Tensor t(shape_);
    if (numel()) kernels::to_f32(weight_ref(), 0, numel(), static_cast<float*>(t.ptr_));
    return t;
}

Tensor Tensor::scaled(float s) const {
    Tensor t = *this;
    t.scale_ = s;
    return t;
}

}  // namespace dit
