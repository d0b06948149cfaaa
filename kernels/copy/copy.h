// Ops that copy: contiguous, clone, device and dtype conversion, cat, stack, split, pad.
#pragma once
#include <vector>

#include "core/tensor.h"

namespace oc {

Tensor contiguous(const Tensor& t);  // t itself when already contiguous
Tensor clone(const Tensor& t);
Tensor to(const Tensor& t, Device device);
Tensor to(const Tensor& t, DType dtype);  // differentiable between floating types
// Copies src into dst (same shape; any strides, dtypes and devices). Not recorded by autograd.
void copy_(const Tensor& dst, const Tensor& src);

Tensor cat(const std::vector<Tensor>& tensors, int64_t dim);
Tensor stack(const std::vector<Tensor>& tensors, int64_t dim);
// Pieces of `size` along dim (the last may be smaller), or of the given sizes; views.
std::vector<Tensor> split(const Tensor& t, int64_t size, int64_t dim);
std::vector<Tensor> split(const Tensor& t, const std::vector<int64_t>& sizes, int64_t dim);
// Constant padding; `pads` as PyTorch's F.pad: (before, after) pairs starting from the last dim.
Tensor pad(const Tensor& t, const std::vector<int64_t>& pads, double value = 0);

}  // namespace oc
