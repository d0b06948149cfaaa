// CPU reference of grid_sample and affine_grid: plain loops over output points running the tap
// math of grid_sample_math.h. Forward runs in parallel over points; the backward over samples, so
// each thread owns its sample's input gradient (deterministic, no atomics).
#include <cstring>

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
    const int64_t points = g.points();
    parallel_for(0, g.n * points, 1024, [&](int64_t begin, int64_t end) {
      scalar_t base[4];
      for (int64_t k = begin; k < end; ++k) {
        const scalar_t* t = th + (k / points) * dims * cols;
        affine_base_point(k % points, g, base);
        for (int r = 0; r < dims; ++r) {
          scalar_t acc = 0;
          for (int c = 0; c < cols; ++c) acc += t[r * cols + c] * base[c];
          out[k * dims + r] = acc;
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
    parallel_for(0, g.n, 1, [&](int64_t begin, int64_t end) {
      scalar_t base[4];
      for (int64_t n = begin; n < end; ++n) {
        double acc[12] = {};  // in double for float32 too: the sum runs over every grid point
        for (int64_t p = 0; p < points; ++p) {
          affine_base_point(p, g, base);
          const scalar_t* gp = gg + (n * points + p) * dims;
          for (int r = 0; r < dims; ++r)
            for (int c = 0; c < cols; ++c) acc[r * cols + c] += static_cast<double>(gp[r]) * base[c];
        }
        for (int i = 0; i < dims * cols; ++i) gt[n * dims * cols + i] = static_cast<scalar_t>(acc[i]);
      }
    });
  });
}

}  // namespace oc
