// CPU reference of RoIPool: the forward in parallel over (box, channel) pairs, each bin a plain
// loop over its window (roi_pool_math.h); the backward over channels, the boxes of a channel in
// order, so each thread owns its channel's gradient planes (deterministic, no atomics).
#include <cstring>

#include "core/thread_pool.h"
#include "kernels/roi_align/roi_align_kernels.h"
#include "kernels/roi_align/roi_pool_math.h"

namespace oc {

void roi_pool_cpu(const Tensor& x, const Tensor& boxes, const Tensor& y, const Tensor& argmax, const RoiGeom& g) {
  OC_DISPATCH_FLOATING(x.dtype(), "roi_pool", [&] {
    const scalar_t* xp = static_cast<const scalar_t*>(x.raw_data());
    const scalar_t* bp = static_cast<const scalar_t*>(boxes.raw_data());
    scalar_t* yp = static_cast<scalar_t*>(y.raw_data());
    int64_t* ip = static_cast<int64_t*>(argmax.raw_data());
    const int64_t plane = g.plane(), bins = g.bins();
    parallel_for(0, g.k * g.c, 4, [&](int64_t begin, int64_t end) {
      for (int64_t q = begin; q < end; ++q) {
        const int64_t k = q / g.c, c = q % g.c;
        for (int64_t ph = 0; ph < g.pooled_h; ++ph)
          for (int64_t pw = 0; pw < g.pooled_w; ++pw) {
            const RoiPoolWindow r = roi_pool_window(bp + 5 * k, g, ph, pw);
            const int64_t o = q * bins + ph * g.pooled_w + pw;
            roi_pool_bin(xp + (r.batch * g.c + c) * plane, g.w, r, yp + o, ip + o);
          }
      }
    });
  });
}

void roi_pool_backward_cpu(const Tensor& boxes, const Tensor& gy, const Tensor& argmax, const Tensor& gx,
                           const RoiGeom& g) {
  OC_DISPATCH_FLOATING(gx.dtype(), "roi_pool_backward", [&] {
    const scalar_t* bp = static_cast<const scalar_t*>(boxes.raw_data());
    const scalar_t* gyp = static_cast<const scalar_t*>(gy.raw_data());
    const int64_t* ip = static_cast<const int64_t*>(argmax.raw_data());
    scalar_t* gxp = static_cast<scalar_t*>(gx.raw_data());
    std::memset(gxp, 0, sizeof(scalar_t) * gx.numel());
    const int64_t plane = g.plane(), bins = g.bins();
    parallel_for(0, g.c, 1, [&](int64_t begin, int64_t end) {
      for (int64_t c = begin; c < end; ++c)
        for (int64_t k = 0; k < g.k; ++k) {
          scalar_t* dst = gxp + (cast_value<int64_t>(bp[5 * k]) * g.c + c) * plane;
          const int64_t o = (k * g.c + c) * bins;
          for (int64_t b = 0; b < bins; ++b)
            if (ip[o + b] >= 0) dst[ip[o + b]] += gyp[o + b];
        }
    });
  });
}

}  // namespace oc
