// Ops that return views sharing the input's storage (no copy), differentiable.
#pragma once
#include <vector>

#include "core/tensor.h"

namespace oc {

// One dimension may be -1 (inferred). reshape copies when a view is impossible; view refuses.
Tensor reshape(const Tensor& t, const Shape& shape);
Tensor view(const Tensor& t, const Shape& shape);
Tensor flatten(const Tensor& t, int64_t start_dim = 0, int64_t end_dim = -1);
Tensor permute(const Tensor& t, const std::vector<int64_t>& dims);
Tensor transpose(const Tensor& t, int64_t dim0, int64_t dim1);
// Python-style slicing along one dim: negative indices count from the end, bounds are clamped.
Tensor slice(const Tensor& t, int64_t dim, int64_t start, int64_t end, int64_t step = 1);
// The sub-tensor at `index` along dim, with that dim removed.
Tensor select(const Tensor& t, int64_t dim, int64_t index);
// Broadcast to `shape` (-1 keeps a dim); size-1 dims become stride 0.
Tensor expand(const Tensor& t, const Shape& shape);
Tensor unsqueeze(const Tensor& t, int64_t dim);
Tensor squeeze(const Tensor& t, int64_t dim);  // dim must have size 1
Tensor squeeze(const Tensor& t);              // every size-1 dim

}  // namespace oc
