// Sampling grids for the grid_sample tests (its case table and hand tests): grids kept away from
// kinks and rounding ties, the coordinate conventions, and affine_grid's definition in float64.
#pragma once
#include <cmath>
#include <random>
#include <vector>

#include "kernels/grid_sample/grid_sample.h"
#include "kernels/ops.h"

namespace oc::test {

inline GridSampleOptions grid_sample_opts(GridSampleMode mode, GridPadding padding, bool align_corners,
                                          bool deterministic = false) {
  GridSampleOptions o;
  o.mode = mode;
  o.padding = padding;
  o.align_corners = align_corners;
  o.deterministic = deterministic;
  return o;
}

// Normalized coordinate of pixel coordinate p (pixel centres at integers) on an axis of `size` pixels:
// align_corners: -1 and 1 are the centres of pixels 0 and size - 1; else the outer edges of them.
// A size-1 axis sits at 0 with either convention.
inline double normalized(double p, int64_t size, bool align_corners) {
  if (size == 1) return 0;
  return align_corners ? 2 * p / static_cast<double>(size - 1) - 1 : (2 * p + 1) / static_cast<double>(size) - 1;
}

// A grid of shape grid_shape ([N, Ho, Wo, 2] or [N, Do, Ho, Wo, 3]) for an input whose spatial sizes
// are `sizes` in grid order (W, H[, D]). Each coordinate lies at pixel coordinate i + f, i an integer
// in [lo_px, hi_px), f mod 0.5 in [0.1, 0.4]: at least 0.1 pixel from every integer and half-integer,
// where bilinear weights, clipping, reflection folds and nearest rounding bend or jump. Central
// differences with a 1e-6 step then see one smooth piece.
inline Tensor smooth_grid(const Shape& grid_shape, const std::vector<int64_t>& sizes, bool align_corners, double lo_px,
                          double hi_px, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  const int64_t dims = grid_shape.back();
  std::vector<double> v;
  for (int64_t i = 0; i < shape_numel(grid_shape) / dims; ++i)
    for (int64_t a = 0; a < dims; ++a) {
      const double base = std::floor(lo_px + u(rng) * (hi_px - lo_px));
      const double half = u(rng) < 0.5 ? 0 : 0.5;
      v.push_back(normalized(base + half + 0.1 + 0.3 * u(rng), sizes[a], align_corners));
    }
  return from_vector(v, grid_shape);
}

// The input's spatial sizes in grid order: W, H for [N, C, H, W]; W, H, D for [N, C, D, H, W].
inline std::vector<int64_t> grid_order_sizes(const Shape& input_shape) {
  std::vector<int64_t> s;
  for (size_t d = input_shape.size() - 1; d >= 2; --d) s.push_back(input_shape[d]);
  return s;
}

// affine_grid by its definition: grid[n, (d,) h, w] = theta[n] @ (x_w, y_h, (z_d,) 1), float64.
inline Tensor affine_grid_reference(const Tensor& theta, const std::vector<int64_t>& size, bool align_corners) {
  const int64_t dims = static_cast<int64_t>(size.size()) - 2, n = size[0], w = size.back(), h = size[size.size() - 2],
                d = dims == 3 ? size[2] : 1;
  const std::vector<double> t = to_vector<double>(contiguous(to(theta, DType::f64)));
  std::vector<double> out;
  for (int64_t b = 0; b < n; ++b)
    for (int64_t z = 0; z < d; ++z)
      for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < w; ++x) {
          const double p[4] = {normalized(double(x), w, align_corners), normalized(double(y), h, align_corners),
                               dims == 3 ? normalized(double(z), d, align_corners) : 1, 1};
          for (int64_t r = 0; r < dims; ++r) {
            double s = 0;
            for (int64_t k = 0; k <= dims; ++k) s += t[(b * dims + r) * (dims + 1) + k] * p[k];
            out.push_back(s);
          }
        }
  Shape shape = {n};
  if (dims == 3) shape.push_back(d);
  shape.insert(shape.end(), {h, w, dims});
  return from_vector(out, shape);
}

}  // namespace oc::test
