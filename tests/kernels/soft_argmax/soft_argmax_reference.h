// soft_argmax's definition in float64 (the reference of its case table and hand tests), and the
// two-output variant as one tensor.
#pragma once
#include <cmath>
#include <vector>

#include "kernels/ops.h"
#include "kernels/soft_argmax/soft_argmax.h"

namespace oc::test {

inline SoftArgmaxOptions soft_argmax_opts(double beta, SoftArgmaxCoords coords = SoftArgmaxCoords::pixel) {
  SoftArgmaxOptions o;
  o.beta = beta;
  o.coordinates = coords;
  return o;
}

// The definition in double, with the max subtracted: coords [N,K,dims] and value [N,K].
struct SoftArgmaxReference {
  Tensor coords, value;
};
inline SoftArgmaxReference soft_argmax_reference(const Tensor& heatmaps, const SoftArgmaxOptions& o) {
  const Shape shape = heatmaps.shape();
  const int dims = static_cast<int>(shape.size()) - 2;
  const int64_t n = shape[0], k = shape[1], d = dims == 3 ? shape[2] : 1, h = shape[shape.size() - 2],
                w = shape.back(), plane = d * h * w;
  const std::vector<double> v = to_vector<double>(contiguous(to(heatmaps.detach(), DType::f64)));
  const int64_t sizes[3] = {w, h, d};
  std::vector<double> coords, value;
  for (int64_t q = 0; q < n * k; ++q) {
    const double* s = v.data() + q * plane;
    double m = s[0], total = 0, sum[3] = {0, 0, 0};
    for (int64_t i = 0; i < plane; ++i) m = std::max(m, s[i]);
    for (int64_t i = 0; i < plane; ++i) {
      // A -inf pixel weighs 0, also in an all -inf map (exp(-inf - -inf) would be NaN): its value,
      // a log-sum-exp, is -inf, its coordinates 0 / 0.
      const double e = s[i] == -HUGE_VAL ? 0.0 : std::exp(o.beta * (s[i] - m));
      const double pos[3] = {double(i % w), double(i / w % h), double(i / (w * h))};
      total += e;
      for (int a = 0; a < 3; ++a) sum[a] += e * pos[a];
    }
    for (int a = 0; a < dims; ++a) {
      const double p = sum[a] / total;
      coords.push_back(o.coordinates == SoftArgmaxCoords::normalized ? (2 * p + 1) / double(sizes[a]) - 1 : p);
    }
    value.push_back(m + std::log(total) / o.beta);
  }
  return {from_vector(coords, {n, k, dims}), from_vector(value, {n, k})};
}

// Coordinates and value in one [N,K,dims+1] tensor, so one check covers the fused backward.
inline Tensor soft_argmax_coords_and_value(const Tensor& heatmaps, const SoftArgmaxOptions& o) {
  SoftArgmaxResult r = soft_argmax_with_value(heatmaps, o);
  return cat({r.coords, unsqueeze(r.value, 2)}, 2);
}

}  // namespace oc::test
