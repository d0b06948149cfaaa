// CUDA grid_sample and affine_grid, running the tap math of grid_sample_math.h that the CPU
// reference runs. One thread per output point reads its taps once and loops over the channels.
// Backward: by default one pass per point adds the input gradient with atomicAdd (fast; the order of
// the additions, and so the last bits, may vary run to run) and writes the grid gradient directly.
// Deterministic mode: one thread per (sample, channel) plane walks every point in order and adds
// without atomics (same bits every run; parallel only over N*C planes, so slower).
#include "core/cuda_context.h"
#include "kernels/grid_sample/grid_sample_kernels.h"

namespace oc {
namespace {

constexpr int kThreads = 256;

// x [N, C, plane] x grid [N, points, dims] -> y [N, C, points]
template <class T, GridSampleMode M, int kDims>
__global__ void forward_kernel(const T* __restrict__ x, const T* __restrict__ grid, T* __restrict__ y,
                               GridSampleGeom g) {
  const int64_t points = g.points(), plane = g.plane();
  OC_GRID_STRIDE(k, g.n * points) {
    const int64_t n = k / points, p = k - n * points;
    GridTaps<T, M, kDims> taps;
    grid_point_taps(grid + k * kDims, g, taps);
    grid_sample_point(taps, x + n * g.c * plane, plane, g.c, y + n * g.c * points + p, points);
  }
}

// gy [N, C, points] -> gx (atomic adds; zeroed by the caller; may be null), ggrid (may be null)
template <class T, GridSampleMode M, int kDims>
__global__ void backward_kernel(const T* __restrict__ x, const T* __restrict__ grid, const T* __restrict__ gy,
                                T* gx, T* __restrict__ ggrid, GridSampleGeom g) {
  const int64_t points = g.points(), plane = g.plane();
  OC_GRID_STRIDE(k, g.n * points) {
    const int64_t n = k / points, p = k - n * points;
    GridTaps<T, M, kDims> taps;
    grid_point_taps(grid + k * kDims, g, taps);
    const T* gyn = gy + n * g.c * points + p;
    if (gx) {
      T* gxn = gx + n * g.c * plane;
      grid_sample_point_input_grad(taps, gyn, points, plane, g.c, [gxn](int64_t i, T v) { atomicAdd(gxn + i, v); });
    }
    if (ggrid) grid_sample_point_grid_grad<T, kDims>(taps, x + n * g.c * plane, plane, gyn, points, g.c, ggrid + k * kDims);
  }
}

// Deterministic input gradient: thread per plane (n, c), points in order, plain adds (gx zeroed).
template <class T, GridSampleMode M, int kDims>
__global__ void input_grad_by_plane_kernel(const T* __restrict__ grid, const T* __restrict__ gy, T* __restrict__ gx,
                                           GridSampleGeom g) {
  const int64_t points = g.points(), plane = g.plane();
  OC_GRID_STRIDE(q, g.n * g.c) {
    const int64_t n = q / g.c;
    T* gxq = gx + q * plane;
    const T* gyq = gy + q * points;
    GridTaps<T, M, kDims> taps;
    for (int64_t p = 0; p < points; ++p) {
      grid_point_taps(grid + (n * points + p) * kDims, g, taps);
      grid_sample_point_input_grad(taps, gyq + p, points, plane, 1, [gxq](int64_t i, T v) { gxq[i] += v; });
    }
  }
}

// theta [N, dims, dims + 1] -> grid [N, points, dims]
template <class T>
__global__ void affine_grid_kernel(const T* __restrict__ theta, T* __restrict__ out, AffineGridGeom g) {
  const int64_t points = g.points();
  const int dims = g.dims, cols = dims + 1;
  OC_GRID_STRIDE(k, g.n * points) {
    const T* t = theta + (k / points) * dims * cols;
    T base[4];
    affine_base_point(k % points, g, base);
    for (int r = 0; r < dims; ++r) {
      T acc = T(0);
      for (int c = 0; c < cols; ++c) acc += t[r * cols + c] * base[c];
      out[k * dims + r] = acc;
    }
  }
}

// ggrid [N, points, dims] -> gtheta [N, dims, dims + 1]: a block per sample (grid-stride past the
// grid cap), a fixed-order tree reduction in shared memory (deterministic).
template <class T>
__global__ void affine_grid_backward_kernel(const T* __restrict__ ggrid, T* __restrict__ gtheta, AffineGridGeom g) {
  OC_SHARED(double, partial, [kThreads][12]);  // sums in double, as the CPU
  const int64_t points = g.points();
  const int dims = g.dims, cols = dims + 1, m = dims * cols;
  for (int64_t n = blockIdx.x; n < g.n; n += gridDim.x) {
    double acc[12];
    for (int i = 0; i < 12; ++i) acc[i] = 0;
    for (int64_t p = threadIdx.x; p < points; p += blockDim.x) {
      T base[4];
      affine_base_point(p, g, base);
      const T* gp = ggrid + (n * points + p) * dims;
      for (int r = 0; r < dims; ++r)
        for (int c = 0; c < cols; ++c) acc[r * cols + c] += static_cast<double>(gp[r]) * base[c];
    }
    for (int i = 0; i < m; ++i) partial[threadIdx.x][i] = acc[i];
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
      if (static_cast<int>(threadIdx.x) < s)
        for (int i = 0; i < m; ++i) partial[threadIdx.x][i] += partial[threadIdx.x + s][i];
      __syncthreads();
    }
    if (threadIdx.x == 0)
      for (int i = 0; i < m; ++i) gtheta[n * m + i] = static_cast<T>(partial[0][i]);
    __syncthreads();  // partial is rewritten for the next sample
  }
}

template <class T>
const T* cptr(const Tensor& t) { return static_cast<const T*>(t.raw_data()); }
template <class T>
T* mptr(const Tensor& t) { return t.defined() ? static_cast<T*>(t.raw_data()) : nullptr; }

}  // namespace

void grid_sample_cuda(const Tensor& x, const Tensor& grid, const Tensor& y, const GridSampleGeom& g) {
  const int64_t n = g.n * g.points();
  if (n == 0 || g.c == 0) return;
  OC_DISPATCH_FLOATING(x.dtype(), "grid_sample", [&] {
    dispatch_grid_mode(g, [&](auto tag) {
      using Tag = decltype(tag);
      launch<forward_kernel<scalar_t, Tag::mode, Tag::dims>>(blocks_for(n, kThreads), kThreads, 0, current_stream(),
          cptr<scalar_t>(x), cptr<scalar_t>(grid), mptr<scalar_t>(y), g);
      CUDA_CHECK_LAUNCH();
    });
  });
}

void grid_sample_backward_cuda(const Tensor& x, const Tensor& grid, const Tensor& gy, const Tensor& gx,
                               const Tensor& ggrid, const GridSampleGeom& g, bool deterministic) {
  if (gx.defined() && gx.numel() > 0)
    CUDA_CHECK(cudaMemsetAsync(gx.raw_data(), 0, gx.numel() * dtype_size(gx.dtype()), current_stream()));
  if (ggrid.defined() && ggrid.numel() > 0)  // C == 0 leaves nothing to sum: the gradient is zero
    CUDA_CHECK(cudaMemsetAsync(ggrid.raw_data(), 0, ggrid.numel() * dtype_size(ggrid.dtype()), current_stream()));
  const int64_t n = g.n * g.points();
  if (n == 0 || g.c == 0) return;
  OC_DISPATCH_FLOATING(x.dtype(), "grid_sample_backward", [&] {
    dispatch_grid_mode(g, [&](auto tag) {
      using Tag = decltype(tag);
      scalar_t* gxp = mptr<scalar_t>(gx);
      if (deterministic && gxp) {
        const int64_t planes = g.n * g.c;
        launch<input_grad_by_plane_kernel<scalar_t, Tag::mode, Tag::dims>>(blocks_for(planes, kThreads), kThreads, 0,
                                                                           current_stream(), cptr<scalar_t>(grid),
                                                                           cptr<scalar_t>(gy), gxp, g);
        CUDA_CHECK_LAUNCH();
        gxp = nullptr;  // done; the pass below computes only the grid gradient
      }
      scalar_t* ggp = mptr<scalar_t>(ggrid);
      if (!gxp && !ggp) return;
      launch<backward_kernel<scalar_t, Tag::mode, Tag::dims>>(blocks_for(n, kThreads), kThreads, 0, current_stream(),
          cptr<scalar_t>(x), cptr<scalar_t>(grid), cptr<scalar_t>(gy), gxp, ggp, g);
      CUDA_CHECK_LAUNCH();
    });
  });
}

void affine_grid_cuda(const Tensor& theta, const Tensor& grid, const AffineGridGeom& g) {
  const int64_t n = g.n * g.points();
  if (n == 0) return;
  OC_DISPATCH_FLOATING(theta.dtype(), "affine_grid", [&] {
    launch<affine_grid_kernel<scalar_t>>(blocks_for(n, kThreads), kThreads, 0, current_stream(),
        cptr<scalar_t>(theta), mptr<scalar_t>(grid), g);
    CUDA_CHECK_LAUNCH();
  });
}

void affine_grid_backward_cuda(const Tensor& ggrid, const Tensor& gtheta, const AffineGridGeom& g) {
  if (g.n == 0) return;
  OC_DISPATCH_FLOATING(ggrid.dtype(), "affine_grid_backward", [&] {
    launch<affine_grid_backward_kernel<scalar_t>>(cap_grid_x(g.n), kThreads, 0, current_stream(),
        cptr<scalar_t>(ggrid), mptr<scalar_t>(gtheta), g);
    CUDA_CHECK_LAUNCH();
  });
}

}  // namespace oc
