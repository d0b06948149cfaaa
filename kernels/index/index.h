// Indexing ops with int64 indices: gather, scatter_add, index_select.
#pragma once
#include "core/tensor.h"

namespace oc {

// out[i][j] = t[index[i][j]][j] (dim 0; likewise for any dim); out has index's shape, and
// index.size(d) <= t.size(d) for d != dim.
Tensor gather(const Tensor& t, int64_t dim, const Tensor& index);
// A copy of t with src added at the indexed places: out[index[i][j]][j] += src[i][j] (dim 0).
// src and index have one shape, with index.size(d) <= t.size(d) for d != dim.
Tensor scatter_add(const Tensor& t, int64_t dim, const Tensor& index, const Tensor& src);
// The entries index[0..n) of t along dim (index is 1-D).
Tensor index_select(const Tensor& t, int64_t dim, const Tensor& index);

}  // namespace oc
