// CPU reference of grid_sample and affine_grid: plain loops over output points running the tap
// math of grid_sample_math.h. Forward runs in parallel over points; the backward over samples, so
// each thread owns its sample's input gradient (deterministic, no atomics).
#include <algorithm>
#include <cstring>
#include <vector>

#include "core/thread_pool.h"
#include "kernels/grid_sample/grid_sample_kernels.h"

namespace oc {
namespace {

template <class T, class Tag>
void forward_typed(const Tensor& x, const Tensor& grid, const Tensor& y, const GridSampleGeom& g) {
  constexpr int kDims = Tag::dims;
  const T* xp = static_cast<const T*>(x.raw_data());
  const T* gp = static_cast<const T*>(grid.raw_data());
  T* yp = static_cast<T*>(y.raw_data());
  const int64_t points = g.points(), plane = g.plane();
  parallel_for(0, g.n * points, 256, [&](int64_t begin, int64_t end) {
    GridTaps<T, Tag::mode, kDims> taps;
    for (int64_t k = begin; k < end; ++k) {
      const int64_t n = k / points, p = k % points;
      grid_point_taps(gp + k * kDims, g, taps);
      grid_sample_point(taps, xp + n * g.c * plane, plane, g.c, yp + n * g.c * points + p, points);
    }
  });
}

template <class T, class Tag>
void backward_typed(const Tensor& x, const Tensor& grid, const Tensor& gy, const Tensor& gx, const Tensor& ggrid,
                    const GridSampleGeom& g) {
  constexpr int kDims = Tag::dims;
  const T* xp = static_cast<const T*>(x.raw_data());
  const T* gp = static_cast<const T*>(grid.raw_data());
  const T* gyp = static_cast<const T*>(gy.raw_data());
  T* gxp = gx.defined() ? static_cast<T*>(gx.raw_data()) : nullptr;
  T* ggp = ggrid.defined() ? static_cast<T*>(ggrid.raw_data()) : nullptr;
  const int64_t points = g.points(), plane = g.plane();
  if (gxp) std::memset(gxp, 0, sizeof(T) * g.n * g.c * plane);
  parallel_for(0, g.n, 1, [&](int64_t begin, int64_t end) {
    GridTaps<T, Tag::mode, kDims> taps;
    for (int64_t n = begin; n < end; ++n) {
      const T* xn = xp + n * g.c * plane;
      const T* gyn = gyp + n * g.c * points;
      for (int64_t p = 0; p < points; ++p) {
        const int64_t k = n * points + p;
        grid_point_taps(gp + k * kDims, g, taps);
        if (gxp) {
          T* gxn = gxp + n * g.c * plane;
          grid_sample_point_input_grad(taps, gyn + p, points, plane, g.c, [gxn](int64_t i, T v) { gxn[i] += v; });
        }
        if (ggp) grid_sample_point_grid_grad<T, kDims>(taps, xn, plane, gyn + p, points, g.c, ggp + k * kDims);
      }
    }
  });
}

// The base grid's coordinates along each axis (affine_base_coordinate), computed once per call
// instead of with divisions at every point.
template <class T>
struct AxisCoordinates {
  std::vector<T> x, y, z;
  explicit AxisCoordinates(const AffineGridGeom& g) {
    for (int64_t i = 0; i < g.w; ++i) x.push_back(affine_base_coordinate<T>(i, g.w, g.align_corners));
    for (int64_t i = 0; i < g.h; ++i) y.push_back(affine_base_coordinate<T>(i, g.h, g.align_corners));
    for (int64_t i = 0; i < g.d; ++i) z.push_back(affine_base_coordinate<T>(i, g.d, g.align_corners));
  }
};

}  // namespace

void grid_sample_cpu(const Tensor& x, const Tensor& grid, const Tensor& y, const GridSampleGeom& g) {
  OC_DISPATCH_FLOATING(x.dtype(), "grid_sample", [&] {
    dispatch_grid_mode(g, [&](auto tag) { forward_typed<scalar_t, decltype(tag)>(x, grid, y, g); });
  });
}

void grid_sample_backward_cpu(const Tensor& x, const Tensor& grid, const Tensor& gy, const Tensor& gx,
                              const Tensor& ggrid, const GridSampleGeom& g, bool /*deterministic: always*/) {
  OC_DISPATCH_FLOATING(x.dtype(), "grid_sample_backward", [&] {
    dispatch_grid_mode(g, [&](auto tag) { backward_typed<scalar_t, decltype(tag)>(x, grid, gy, gx, ggrid, g); });
  });
}

void affine_grid_cpu(const Tensor& theta, const Tensor& grid, const AffineGridGeom& g) {
  OC_DISPATCH_FLOATING(theta.dtype(), "affine_grid", [&] {
    const scalar_t* th = static_cast<const scalar_t*>(theta.raw_data());
    scalar_t* out = static_cast<scalar_t*>(grid.raw_data());
    const int dims = g.dims, cols = dims + 1;
    const AxisCoordinates<scalar_t> base(g);
    // Rows (sample, z, y) of w points: the y and z terms once per row, then one product and two
    // adds per value, summed in the order of the definition (x term, y term, z term, translation).
    const int64_t rows = g.n * g.d * g.h;
    parallel_for(0, rows, std::max<int64_t>(1, 4096 / std::max<int64_t>(g.w, 1)), [&](int64_t begin, int64_t end) {
      for (int64_t row = begin; row < end; ++row) {
        const int64_t n = row / (g.d * g.h), z = (row / g.h) % g.d, y = row % g.h;
        const scalar_t* t = th + n * dims * cols;
        scalar_t* o = out + row * g.w * dims;
        for (int r = 0; r < dims; ++r) {
          const scalar_t ty = t[r * cols + 1] * base.y[y], tz = dims == 3 ? t[r * cols + 2] * base.z[z] : scalar_t(0);
          const scalar_t tx = t[r * cols + 0], shift = t[r * cols + dims];
          for (int64_t x = 0; x < g.w; ++x) {
            scalar_t acc = tx * base.x[x] + ty;
            if (dims == 3) acc += tz;
            o[x * dims + r] = acc + shift;
          }
        }
      }
    });
  });
}

void affine_grid_backward_cpu(const Tensor& ggrid, const Tensor& gtheta, const AffineGridGeom& g) {
  OC_DISPATCH_FLOATING(ggrid.dtype(), "affine_grid_backward", [&] {
    const scalar_t* gg = static_cast<const scalar_t*>(ggrid.raw_data());
    scalar_t* gt = static_cast<scalar_t*>(gtheta.raw_data());
    const int dims = g.dims, cols = dims + 1;
    const int64_t points = g.points();
    const AxisCoordinates<scalar_t> base(g);
    parallel_for(0, g.n, 1, [&](int64_t begin, int64_t end) {
      for (int64_t n = begin; n < end; ++n) {
        double acc[12] = {};  // in double for float32 too: the sum runs over every grid point
        const scalar_t* gp = gg + n * points * dims;
        for (int64_t z = 0; z < g.d; ++z)
          for (int64_t y = 0; y < g.h; ++y)
            for (int64_t x = 0; x < g.w; ++x, gp += dims) {
              const double b[4] = {static_cast<double>(base.x[x]), static_cast<double>(base.y[y]),
                                   dims == 3 ? static_cast<double>(base.z[z]) : 1.0, 1.0};
              for (int r = 0; r < dims; ++r)
                for (int c = 0; c < cols; ++c) acc[r * cols + c] += static_cast<double>(gp[r]) * b[c];
            }
        for (int i = 0; i < dims * cols; ++i) gt[n * dims * cols + i] = static_cast<scalar_t>(acc[i]);
      }
    });
  });
}

}  // namespace oc
