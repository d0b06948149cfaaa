// Reductions and softmax by their definitions in float64: the reduced axes are moved last, so each
// output element (or each softmax row) is one plain loop over a row.
#pragma once
#include <algorithm>
#include <functional>
#include <numeric>
#include <vector>

#include "kernels/ops.h"

namespace oc::test {

// x's elements as rows over `axes` (all axes when empty), one row per kept position, in order.
struct Rows {
  std::vector<double> data;
  int64_t count = 0, len = 1;
  Axes perm;         // kept axes, then reduced axes
  Shape out_shape;   // the reduction's result shape (keepdim: 1 in each reduced axis)
};

inline Rows rows_of(const Tensor& x, Axes axes, bool keepdim) {
  const int64_t nd = x.dim();
  if (axes.empty())
    for (int64_t a = 0; a < nd; ++a) axes.push_back(a);
  for (int64_t& a : axes) a = a < 0 ? a + nd : a;
  Rows r;
  for (int64_t a = 0; a < nd; ++a) {
    const bool reduced = std::find(axes.begin(), axes.end(), a) != axes.end();
    if (!reduced) r.perm.push_back(a);
    if (!reduced || keepdim) r.out_shape.push_back(reduced ? 1 : x.size(a));
  }
  for (int64_t a : axes) r.perm.push_back(a), r.len *= x.size(a);
  r.data = to_vector<double>(contiguous(permute(to(x, DType::f64), r.perm)));
  r.count = r.len ? static_cast<int64_t>(r.data.size()) / r.len : shape_numel(r.out_shape);
  return r;
}

// One value per row: f(first element of the row, its length).
inline Tensor reduce_reference(const Tensor& x, const Axes& axes, bool keepdim,
                               const std::function<double(const double*, int64_t)>& f) {
  const Rows r = rows_of(x, axes, keepdim);
  std::vector<double> out;
  for (int64_t i = 0; i < r.count; ++i) out.push_back(f(r.data.data() + i * r.len, r.len));
  return from_vector(out, r.out_shape);
}

// The same shape as x: f writes each row along `axis` in place.
inline Tensor rowwise_reference(const Tensor& x, int64_t axis, const std::function<void(double*, int64_t)>& f) {
  if (x.dim() == 0) return reshape(rowwise_reference(reshape(x, {1}), 0, f), {});  // one row of one
  Rows r = rows_of(x, {axis}, false);
  for (int64_t i = 0; i < r.count; ++i) f(r.data.data() + i * r.len, r.len);
  Shape permuted;
  for (int64_t a : r.perm) permuted.push_back(x.size(a));
  Axes inverse(r.perm.size());
  for (size_t i = 0; i < r.perm.size(); ++i) inverse[r.perm[i]] = static_cast<int64_t>(i);
  return contiguous(permute(from_vector(r.data, permuted), inverse));
}

}  // namespace oc::test
