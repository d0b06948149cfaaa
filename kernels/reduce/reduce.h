// Reductions along any set of axes (empty list: all axes), with keepdim.
#pragma once
#include <vector>

#include "core/tensor.h"

namespace oc {

using Axes = std::vector<int64_t>;

Tensor sum(const Tensor& t, const Axes& axes = {}, bool keepdim = false);
Tensor mean(const Tensor& t, const Axes& axes = {}, bool keepdim = false);
// Values; the gradient is split evenly among tied extremes.
Tensor max(const Tensor& t, const Axes& axes = {}, bool keepdim = false);
Tensor min(const Tensor& t, const Axes& axes = {}, bool keepdim = false);
// int64 index of the first extreme along one axis.
Tensor argmax(const Tensor& t, int64_t axis, bool keepdim = false);
Tensor argmin(const Tensor& t, int64_t axis, bool keepdim = false);
// sum((x - mean)^2) / (n - correction); correction 1 is the unbiased estimate.
Tensor var(const Tensor& t, const Axes& axes = {}, int64_t correction = 1, bool keepdim = false);

// Sums a broadcast gradient back to `shape` (the inverse of broadcasting).
Tensor sum_to_shape(const Tensor& g, const Shape& shape);

}  // namespace oc
