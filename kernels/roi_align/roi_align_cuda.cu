// CUDA RoIAlign, running the box and sample math of roi_align_math.h that the CPU reference runs.
// One thread per output bin (k, c, ph, pw), grid-stride. Backward: each bin's thread adds its
// samples' shares to the feature gradient with atomicAdd (bins of overlapping boxes meet on the
// same pixels; the order of the additions, so the last bits, may vary run to run).
#include "core/cuda_context.h"
#include "kernels/roi_align/roi_align_kernels.h"

namespace oc {
namespace {

constexpr int kThreads = 256;

// Output index -> (box k, channel c, bin ph, pw).
struct BinIndex {
  int64_t k, c, ph, pw;
};
__device__ __forceinline__ BinIndex split_bin(int64_t i, const RoiGeom& g) {
  const int64_t pw = i % g.pooled_w, r = i / g.pooled_w;
  const int64_t ph = r % g.pooled_h, q = r / g.pooled_h;
  return {q / g.c, q % g.c, ph, pw};
}

// x [N, C, H, W] x boxes [K, 5] -> y [K, C, PH, PW]
template <class T>
__global__ void roi_align_kernel(int64_t n, const T* __restrict__ x, const T* __restrict__ boxes, T* __restrict__ y,
                                 RoiGeom g) {
  OC_GRID_STRIDE(i, n) {
    const BinIndex o = split_bin(i, g);
    const RoiAlignBox<T> b = roi_align_box(boxes + 5 * o.k, g);
    y[i] = roi_align_bin(x + (b.batch * g.c + o.c) * g.plane(), g, b, o.ph, o.pw);
  }
}

// gy [K, C, PH, PW] -> gx [N, C, H, W] (atomic adds; zeroed by the caller)
template <class T>
__global__ void roi_align_backward_kernel(int64_t n, const T* __restrict__ boxes, const T* __restrict__ gy, T* gx,
                                          RoiGeom g) {
  OC_GRID_STRIDE(i, n) {
    const BinIndex o = split_bin(i, g);
    const RoiAlignBox<T> b = roi_align_box(boxes + 5 * o.k, g);
    T* dst = gx + (b.batch * g.c + o.c) * g.plane();
    const T grad = gy[i];
    auto add = [dst](int64_t at, T v) { atomicAdd(dst + at, v); };
    for (int64_t iy = 0; iy < b.grid_h; ++iy) {
      const RoiTap<T> ty = roi_axis_tap(roi_align_sample(b.start_h, b.bin_h, o.ph, iy, b.grid_h), g.h);
      for (int64_t ix = 0; ix < b.grid_w; ++ix)
        roi_bilinear_grad(grad, ty, roi_axis_tap(roi_align_sample(b.start_w, b.bin_w, o.pw, ix, b.grid_w), g.w), g.w,
                          b.count, add);
    }
  }
}

template <class T>
const T* cptr(const Tensor& t) { return static_cast<const T*>(t.raw_data()); }
template <class T>
T* mptr(const Tensor& t) { return static_cast<T*>(t.raw_data()); }

}  // namespace

void roi_align_cuda(const Tensor& x, const Tensor& boxes, const Tensor& y, const RoiGeom& g) {
  const int64_t n = y.numel();
  if (n == 0) return;
  OC_DISPATCH_FLOATING(x.dtype(), "roi_align", [&] {
    launch<roi_align_kernel<scalar_t>>(blocks_for(n, kThreads), kThreads, 0, current_stream(), n, cptr<scalar_t>(x),
                                       cptr<scalar_t>(boxes), mptr<scalar_t>(y), g);
    CUDA_CHECK_LAUNCH();
  });
}

void roi_align_backward_cuda(const Tensor& boxes, const Tensor& gy, const Tensor& gx, const RoiGeom& g) {
  CUDA_CHECK(cudaMemsetAsync(gx.raw_data(), 0, gx.numel() * dtype_size(gx.dtype()), current_stream()));
  const int64_t n = gy.numel();
  if (n == 0) return;
  OC_DISPATCH_FLOATING(gx.dtype(), "roi_align_backward", [&] {
    launch<roi_align_backward_kernel<scalar_t>>(blocks_for(n, kThreads), kThreads, 0, current_stream(), n,
                                                cptr<scalar_t>(boxes), cptr<scalar_t>(gy), mptr<scalar_t>(gx), g);
    CUDA_CHECK_LAUNCH();
  });
}

}  // namespace oc
