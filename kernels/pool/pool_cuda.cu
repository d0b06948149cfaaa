// CUDA pooling kernels: one thread per output element (forward) or input element (backward, a
// gather over the windows containing it: no atomics, the CPU's order of additions), grid-stride,
// running the window math of pool_math.h that the CPU reference runs.
#include "core/cuda_context.h"
#include "kernels/pool/pool_kernels.h"

namespace oc {
namespace {

constexpr int kThreads = 256;

// Splits a linear index over [P, rows, cols] into (plane, i, j).
struct PlaneIndex {
  int64_t p, i, j;
};
__device__ __forceinline__ PlaneIndex split_index(int64_t k, int64_t rows, int64_t cols) {
  const int64_t j = k % cols, r = k / cols;
  return {r / rows, r % rows, j};
}

// [P, H, W] -> y, indices [P, Ho, Wo]
template <class T>
__global__ void max_pool2d_kernel(int64_t n, const T* x, T* y, int64_t* idx, Pool2dGeom g) {
  OC_GRID_STRIDE(k, n) {
    const PlaneIndex o = split_index(k, g.out_h, g.out_w);
    max_pool2d_window(x + o.p * g.in_h * g.in_w, g, o.i, o.j, y + k, idx + k);
  }
}

// gy, indices [P, Ho, Wo] -> gx [P, H, W]
template <class T>
__global__ void max_pool2d_backward_kernel(int64_t n, const T* gy, const int64_t* idx, T* gx, Pool2dGeom g) {
  OC_GRID_STRIDE(k, n) {
    const PlaneIndex in = split_index(k, g.in_h, g.in_w);
    const int64_t off = in.p * g.out_h * g.out_w;
    gx[k] = max_pool2d_input_grad(gy + off, idx + off, g, in.i, in.j);
  }
}

// [P, H, W] -> [P, Ho, Wo]
template <class T>
__global__ void avg_pool2d_kernel(int64_t n, const T* x, T* y, Pool2dGeom g, bool count_include_pad) {
  OC_GRID_STRIDE(k, n) {
    const PlaneIndex o = split_index(k, g.out_h, g.out_w);
    y[k] = avg_pool2d_window(x + o.p * g.in_h * g.in_w, g, o.i, o.j, count_include_pad);
  }
}

// gy [P, Ho, Wo] -> gx [P, H, W]
template <class T>
__global__ void avg_pool2d_backward_kernel(int64_t n, const T* gy, T* gx, Pool2dGeom g, bool count_include_pad) {
  OC_GRID_STRIDE(k, n) {
    const PlaneIndex in = split_index(k, g.in_h, g.in_w);
    gx[k] = avg_pool2d_input_grad(gy + in.p * g.out_h * g.out_w, g, in.i, in.j, count_include_pad);
  }
}

// [P, H, W] -> [P, Ho, Wo]
template <class T>
__global__ void adaptive_avg_pool2d_kernel(int64_t n, const T* x, T* y, Pool2dGeom g) {
  OC_GRID_STRIDE(k, n) {
    const PlaneIndex o = split_index(k, g.out_h, g.out_w);
    y[k] = adaptive_avg_pool2d_window(x + o.p * g.in_h * g.in_w, g, o.i, o.j);
  }
}

// gy [P, Ho, Wo] -> gx [P, H, W]
template <class T>
__global__ void adaptive_avg_pool2d_backward_kernel(int64_t n, const T* gy, T* gx, Pool2dGeom g) {
  OC_GRID_STRIDE(k, n) {
    const PlaneIndex in = split_index(k, g.in_h, g.in_w);
    gx[k] = adaptive_avg_pool2d_input_grad(gy + in.p * g.out_h * g.out_w, g, in.i, in.j);
  }
}

template <class T>
const T* cdata(const Tensor& t) {
  return static_cast<const T*>(t.raw_data());
}
template <class T>
T* mdata(const Tensor& t) {
  return static_cast<T*>(t.raw_data());
}

}  // namespace

void max_pool2d_cuda(const Tensor& x, const Tensor& y, const Tensor& indices, const Pool2dGeom& g) {
  const int64_t n = y.numel();
  if (n == 0) return;
  OC_DISPATCH_FLOATING(x.dtype(), "max_pool2d", [&] {
    launch<max_pool2d_kernel<scalar_t>>(blocks_for(n, kThreads), kThreads, 0, current_stream(),
        n, cdata<scalar_t>(x), mdata<scalar_t>(y), mdata<int64_t>(indices), g);
    CUDA_CHECK_LAUNCH();
  });
}

void max_pool2d_backward_cuda(const Tensor& gy, const Tensor& indices, const Tensor& gx, const Pool2dGeom& g) {
  const int64_t n = gx.numel();
  if (n == 0) return;
  OC_DISPATCH_FLOATING(gy.dtype(), "max_pool2d_backward", [&] {
    launch<max_pool2d_backward_kernel<scalar_t>>(blocks_for(n, kThreads), kThreads, 0, current_stream(),
        n, cdata<scalar_t>(gy), cdata<int64_t>(indices), mdata<scalar_t>(gx), g);
    CUDA_CHECK_LAUNCH();
  });
}

void avg_pool2d_cuda(const Tensor& x, const Tensor& y, const Pool2dGeom& g, bool count_include_pad) {
  const int64_t n = y.numel();
  if (n == 0) return;
  OC_DISPATCH_FLOATING(x.dtype(), "avg_pool2d", [&] {
    launch<avg_pool2d_kernel<scalar_t>>(blocks_for(n, kThreads), kThreads, 0, current_stream(),
        n, cdata<scalar_t>(x), mdata<scalar_t>(y), g, count_include_pad);
    CUDA_CHECK_LAUNCH();
  });
}

void avg_pool2d_backward_cuda(const Tensor& gy, const Tensor& gx, const Pool2dGeom& g, bool count_include_pad) {
  const int64_t n = gx.numel();
  if (n == 0) return;
  OC_DISPATCH_FLOATING(gy.dtype(), "avg_pool2d_backward", [&] {
    launch<avg_pool2d_backward_kernel<scalar_t>>(blocks_for(n, kThreads), kThreads, 0, current_stream(),
        n, cdata<scalar_t>(gy), mdata<scalar_t>(gx), g, count_include_pad);
    CUDA_CHECK_LAUNCH();
  });
}

void adaptive_avg_pool2d_cuda(const Tensor& x, const Tensor& y, const Pool2dGeom& g) {
  const int64_t n = y.numel();
  if (n == 0) return;
  OC_DISPATCH_FLOATING(x.dtype(), "adaptive_avg_pool2d", [&] {
    launch<adaptive_avg_pool2d_kernel<scalar_t>>(blocks_for(n, kThreads), kThreads, 0, current_stream(),
        n, cdata<scalar_t>(x), mdata<scalar_t>(y), g);
    CUDA_CHECK_LAUNCH();
  });
}

void adaptive_avg_pool2d_backward_cuda(const Tensor& gy, const Tensor& gx, const Pool2dGeom& g) {
  const int64_t n = gx.numel();
  if (n == 0) return;
  OC_DISPATCH_FLOATING(gy.dtype(), "adaptive_avg_pool2d_backward", [&] {
    launch<adaptive_avg_pool2d_backward_kernel<scalar_t>>(blocks_for(n, kThreads), kThreads, 0, current_stream(),
        n, cdata<scalar_t>(gy), mdata<scalar_t>(gx), g);
    CUDA_CHECK_LAUNCH();
  });
}

}  // namespace oc
