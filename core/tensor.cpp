// Tensor construction, views and metadata.
#include "core/tensor.h"

namespace oc {

Tensor Tensor::empty(const Shape& shape, DType dtype, Device device) {
  for (int64_t d : shape) OC_CHECK(d >= 0, "empty: negative dimension in shape ", shape_str(shape));
  OC_CHECK(shape.size() <= static_cast<size_t>(kMaxDims), "empty: at most ", kMaxDims,
           " dimensions are supported, got ", shape_str(shape));
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::make_shared<Storage>(shape_numel(shape) * dtype_size(dtype), device);
  impl->shape = shape;
  impl->strides = contiguous_strides(shape);
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

int64_t Tensor::size(int64_t d) const { return shape()[wrap_dim(d, dim(), "size")]; }
int64_t Tensor::stride(int64_t d) const { return strides()[wrap_dim(d, dim(), "stride")]; }

bool Tensor::is_contiguous() const {
  int64_t expected = 1;
  for (int64_t i = dim() - 1; i >= 0; --i) {
    if (shape()[i] == 1) continue;
    if (strides()[i] != expected) return false;
    expected *= shape()[i];
  }
  return true;
}

void* Tensor::raw_data() const {
  char* base = static_cast<char*>(impl().storage->data());
  if (!base) return nullptr;
  return base + offset() * static_cast<int64_t>(dtype_size(dtype()));
}

Tensor Tensor::as_strided(const Shape& shape, const Shape& strides, int64_t offset) const {
  OC_CHECK(shape.size() == strides.size(), "as_strided: shape ", shape_str(shape), " and strides ",
           shape_str(strides), " differ in length");
  OC_CHECK(shape.size() <= static_cast<size_t>(kMaxDims), "as_strided: at most ", kMaxDims,
           " dimensions are supported, got ", shape_str(shape));
  auto v = std::make_shared<TensorImpl>();
  v->storage = impl().storage;
  v->shape = shape;
  v->strides = strides;
  v->offset = offset;
  v->dtype = dtype();
  return Tensor(std::move(v));
}

Tensor Tensor::detach() const { return as_strided(shape(), strides(), offset()); }

Tensor& Tensor::set_requires_grad(bool on) {
  OC_CHECK(is_leaf(), "set_requires_grad: only leaf tensors can change requires_grad (this is the output of ",
           "an op; use detach())");
  OC_CHECK(!on || is_floating(dtype()), "set_requires_grad: only floating-point tensors can require grad, got ",
           dtype_name(dtype()));
  impl().requires_grad = on;
  return *this;
}

std::string Tensor::str() const {
  if (!defined()) return "undefined";
  return str_cat(dtype_name(dtype()), shape_str(shape()), " ", device().str());
}

}  // namespace oc
