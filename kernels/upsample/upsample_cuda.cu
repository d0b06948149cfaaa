// CUDA upsampling: one thread per output element, grid-stride, running the coordinate math of
// upsample_math.h that the CPU reference runs. The backward passes spread each output's gradient to
// its sources with atomicAdd (the order of the additions, and so the last bits, may vary run to run).
#include "core/cuda_context.h"
#include "kernels/upsample/upsample_kernels.h"

namespace oc {
namespace {

constexpr int kThreads = 256;

// [P, H, W] -> [P, Ho, Wo]
template <class T>
__global__ void nearest_kernel(int64_t n, const T* x, T* y, Upsample2dGeom g) {
  OC_GRID_STRIDE(k, n) {
    const int64_t ow = k % g.out_w, r = k / g.out_w, oh = r % g.out_h, p = r / g.out_h;
    const int64_t ih = nearest_source_index(oh, g.in_h, g.out_h), iw = nearest_source_index(ow, g.in_w, g.out_w);
    y[k] = x[(p * g.in_h + ih) * g.in_w + iw];
  }
}

// gy [P, Ho, Wo] -> gx [P, H, W] (zeroed by the caller)
template <class T>
__global__ void nearest_backward_kernel(int64_t n, const T* gy, T* gx, Upsample2dGeom g) {
  OC_GRID_STRIDE(k, n) {
    const int64_t ow = k % g.out_w, r = k / g.out_w, oh = r % g.out_h, p = r / g.out_h;
    const int64_t ih = nearest_source_index(oh, g.in_h, g.out_h), iw = nearest_source_index(ow, g.in_w, g.out_w);
    atomicAdd(gx + (p * g.in_h + ih) * g.in_w + iw, gy[k]);
  }
}

// [P, H, W] -> [P, Ho, Wo]
template <class T>
__global__ void bilinear_kernel(int64_t n, const T* x, T* y, Upsample2dGeom g, T scale_h, T scale_w) {
  OC_GRID_STRIDE(k, n) {
    const int64_t ow = k % g.out_w, r = k / g.out_w, oh = r % g.out_h, p = r / g.out_h;
    y[k] = upsample_bilinear_value(x + p * g.in_h * g.in_w, g, scale_h, scale_w, oh, ow);
  }
}

// gy [P, Ho, Wo] -> gx [P, H, W] (zeroed by the caller)
template <class T>
__global__ void bilinear_backward_kernel(int64_t n, const T* gy, T* gx, Upsample2dGeom g, T scale_h, T scale_w) {
  OC_GRID_STRIDE(k, n) {
    const int64_t ow = k % g.out_w, r = k / g.out_w, oh = r % g.out_h, p = r / g.out_h;
    T* plane = gx + p * g.in_h * g.in_w;
    upsample_bilinear_spread(gy[k], g, scale_h, scale_w, oh, ow, [plane](int64_t i, T v) { atomicAdd(plane + i, v); });
  }
}

}  // namespace

void upsample_nearest2d_cuda(const Tensor& x, const Tensor& y, const Upsample2dGeom& g) {
  const int64_t n = y.numel();
  if (n == 0) return;
  OC_DISPATCH_FLOATING(x.dtype(), "upsample_nearest2d", [&] {
    launch<nearest_kernel<scalar_t>>(blocks_for(n, kThreads), kThreads, 0, current_stream(),
        n, static_cast<const scalar_t*>(x.raw_data()), static_cast<scalar_t*>(y.raw_data()), g);
    CUDA_CHECK_LAUNCH();
  });
}

void upsample_nearest2d_backward_cuda(const Tensor& gy, const Tensor& gx, const Upsample2dGeom& g) {
  if (gx.numel() == 0) return;
  CUDA_CHECK(cudaMemsetAsync(gx.raw_data(), 0, gx.numel() * dtype_size(gx.dtype()), current_stream()));
  const int64_t n = gy.numel();
  if (n == 0) return;
  OC_DISPATCH_FLOATING(gy.dtype(), "upsample_nearest2d_backward", [&] {
    launch<nearest_backward_kernel<scalar_t>>(blocks_for(n, kThreads), kThreads, 0, current_stream(),
        n, static_cast<const scalar_t*>(gy.raw_data()), static_cast<scalar_t*>(gx.raw_data()), g);
    CUDA_CHECK_LAUNCH();
  });
}

void upsample_bilinear2d_cuda(const Tensor& x, const Tensor& y, const Upsample2dGeom& g) {
  const int64_t n = y.numel();
  if (n == 0) return;
  OC_DISPATCH_FLOATING(x.dtype(), "upsample_bilinear2d", [&] {
    const scalar_t sh = bilinear_scale<scalar_t>(g.in_h, g.out_h, g.align_corners);
    const scalar_t sw = bilinear_scale<scalar_t>(g.in_w, g.out_w, g.align_corners);
    launch<bilinear_kernel<scalar_t>>(blocks_for(n, kThreads), kThreads, 0, current_stream(),
        n, static_cast<const scalar_t*>(x.raw_data()), static_cast<scalar_t*>(y.raw_data()), g, sh, sw);
    CUDA_CHECK_LAUNCH();
  });
}

void upsample_bilinear2d_backward_cuda(const Tensor& gy, const Tensor& gx, const Upsample2dGeom& g) {
  if (gx.numel() == 0) return;
  CUDA_CHECK(cudaMemsetAsync(gx.raw_data(), 0, gx.numel() * dtype_size(gx.dtype()), current_stream()));
  const int64_t n = gy.numel();
  if (n == 0) return;
  OC_DISPATCH_FLOATING(gy.dtype(), "upsample_bilinear2d_backward", [&] {
    const scalar_t sh = bilinear_scale<scalar_t>(g.in_h, g.out_h, g.align_corners);
    const scalar_t sw = bilinear_scale<scalar_t>(g.in_w, g.out_w, g.align_corners);
    launch<bilinear_backward_kernel<scalar_t>>(blocks_for(n, kThreads), kThreads, 0, current_stream(),
        n, static_cast<const scalar_t*>(gy.raw_data()), static_cast<scalar_t*>(gx.raw_data()), g, sh, sw);
    CUDA_CHECK_LAUNCH();
  });
}

}  // namespace oc
