// Tensor factories (full, zeros, ones, arange, linspace, eye), filling, and host <-> tensor values.
#pragma once
#include <vector>

#include "core/tensor.h"

namespace oc {

Tensor full(const Shape& shape, double value, DType dtype = DType::f32, Device device = Device::cpu());
Tensor zeros(const Shape& shape, DType dtype = DType::f32, Device device = Device::cpu());
Tensor ones(const Shape& shape, DType dtype = DType::f32, Device device = Device::cpu());
Tensor full_like(const Tensor& t, double value);
Tensor zeros_like(const Tensor& t);
Tensor ones_like(const Tensor& t);
// [start, end) with `step` (non-zero); length ceil((end-start)/step).
Tensor arange(double start, double end, double step = 1, DType dtype = DType::f32, Device device = Device::cpu());
// `steps` points from start to end inclusive.
Tensor linspace(double start, double end, int64_t steps, DType dtype = DType::f32, Device device = Device::cpu());
// [n, m] identity (m = n when m < 0).
Tensor eye(int64_t n, int64_t m = -1, DType dtype = DType::f32, Device device = Device::cpu());

// Writes `value` into every element of t (any view). Not recorded by autograd; refuses tensors
// that require grad, whose values the graph may have saved.
void fill_(const Tensor& t, double value);

// Host values -> tensor of dtype_of<T> (shape must hold values.size() elements).
template <class T>
Tensor from_vector(const std::vector<T>& values, const Shape& shape, Device device = Device::cpu());
// Tensor (any device, any strides) -> host values in row-major order, converted to T.
template <class T>
std::vector<T> to_vector(const Tensor& t);
// The value of a one-element tensor.
template <class T>
T item(const Tensor& t);

}  // namespace oc
