// CUDA RoIPool, running the window math of roi_pool_math.h that the CPU reference runs: one thread
// per output bin (k, c, ph, pw), grid-stride. Backward: each bin's thread adds its gradient at its
// argmax with atomicAdd (overlapping bins may share a maximum).
#include "core/cuda_context.h"
#include "kernels/roi_align/roi_align_kernels.h"
#include "kernels/roi_align/roi_pool_math.h"

namespace oc {
namespace {

constexpr int kThreads = 256;

// x [N, C, H, W] x boxes [K, 5] -> y, argmax [K, C, PH, PW]
template <class T>
__global__ void roi_pool_kernel(int64_t n, const T* __restrict__ x, const T* __restrict__ boxes, T* __restrict__ y,
                                int64_t* __restrict__ argmax, RoiGeom g) {
  OC_GRID_STRIDE(i, n) {
    const int64_t pw = i % g.pooled_w, ph = (i / g.pooled_w) % g.pooled_h, q = i / g.bins();
    const int64_t k = q / g.c, c = q % g.c;
    const RoiPoolWindow r = roi_pool_window(boxes + 5 * k, g, ph, pw);
    roi_pool_bin(x + (r.batch * g.c + c) * g.plane(), g.w, r, y + i, argmax + i);
  }
}

// gy, argmax [K, C, PH, PW] -> gx [N, C, H, W] (atomic adds; zeroed by the caller)
template <class T>
__global__ void roi_pool_backward_kernel(int64_t n, const T* __restrict__ boxes, const T* __restrict__ gy,
                                         const int64_t* __restrict__ argmax, T* gx, RoiGeom g) {
  OC_GRID_STRIDE(i, n) {
    if (argmax[i] < 0) continue;
    const int64_t q = i / g.bins(), k = q / g.c, c = q % g.c;
    const int64_t batch = cast_value<int64_t>(boxes[5 * k]);
    atomicAdd(gx + (batch * g.c + c) * g.plane() + argmax[i], gy[i]);
  }
}

template <class T>
const T* cptr(const Tensor& t) { return static_cast<const T*>(t.raw_data()); }
template <class T>
T* mptr(const Tensor& t) { return static_cast<T*>(t.raw_data()); }

}  // namespace

void roi_pool_cuda(const Tensor& x, const Tensor& boxes, const Tensor& y, const Tensor& argmax, const RoiGeom& g) {
  const int64_t n = y.numel();
  if (n == 0) return;
  OC_DISPATCH_FLOATING(x.dtype(), "roi_pool", [&] {
    launch<roi_pool_kernel<scalar_t>>(blocks_for(n, kThreads), kThreads, 0, current_stream(), n, cptr<scalar_t>(x),
                                      cptr<scalar_t>(boxes), mptr<scalar_t>(y), mptr<int64_t>(argmax), g);
    CUDA_CHECK_LAUNCH();
  });
}

void roi_pool_backward_cuda(const Tensor& boxes, const Tensor& gy, const Tensor& argmax, const Tensor& gx,
                            const RoiGeom& g) {
  CUDA_CHECK(cudaMemsetAsync(gx.raw_data(), 0, gx.numel() * dtype_size(gx.dtype()), current_stream()));
  const int64_t n = gy.numel();
  if (n == 0) return;
  OC_DISPATCH_FLOATING(gx.dtype(), "roi_pool_backward", [&] {
    launch<roi_pool_backward_kernel<scalar_t>>(blocks_for(n, kThreads), kThreads, 0, current_stream(), n,
                                               cptr<scalar_t>(boxes), cptr<scalar_t>(gy), cptr<int64_t>(argmax),
                                               mptr<scalar_t>(gx), g);
    CUDA_CHECK_LAUNCH();
  });
}

}  // namespace oc
