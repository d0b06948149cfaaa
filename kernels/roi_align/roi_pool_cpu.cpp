// CPU reference of RoIPool: each box's bin windows (roi_pool_math.h) computed once, then the forward
// in parallel over (channel, box) pairs, each bin a plain loop over its window; the backward over
// channels, the boxes of a channel in order, so each thread owns its channel's gradient planes
// (deterministic, no atomics).
#include <cstring>
#include <vector>

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
    // Every box's bin windows once, then reused over the channels.
    std::vector<RoiPoolWindow> win(g.k * bins);
    parallel_for(0, g.k, 64, [&](int64_t begin, int64_t end) {
      for (int64_t k = begin; k < end; ++k)
        for (int64_t b = 0; b < bins; ++b) win[k * bins + b] = roi_pool_window(bp + 5 * k, g, b / g.pooled_w, b % g.pooled_w);
    });
    parallel_for(0, g.k * g.c, 4, [&](int64_t begin, int64_t end) {
      for (int64_t q = begin; q < end; ++q) {  // channel-major: consecutive boxes read the same planes
        const int64_t c = q / g.k, k = q % g.k, o = (k * g.c + c) * bins;
        const RoiPoolWindow* w = win.data() + k * bins;
        const scalar_t* src = xp + (w[0].batch * g.c + c) * plane;
        for (int64_t b = 0; b < bins; ++b) roi_pool_bin(src, g.w, w[b], yp + o + b, ip + o + b);
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
