// CPU reference of upsampling: threaded over planes. The backward passes spread each output's
// gradient to its sources in output order, one thread per plane (so no two threads add to one place).
#include <algorithm>
#include <cstring>

#include "core/thread_pool.h"
#include "kernels/upsample/upsample_kernels.h"

namespace oc {
namespace {

int64_t planes_of(const Tensor& t, int64_t h, int64_t w) { return h * w > 0 ? t.numel() / (h * w) : 0; }

// Calls fn(plane) for every plane, threaded, about 16k elements of work per chunk.
template <class F>
void for_each_plane(int64_t planes, int64_t plane_work, F&& fn) {
  parallel_for(0, planes, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, plane_work)), [&](int64_t b, int64_t e) {
    for (int64_t p = b; p < e; ++p) fn(p);
  });
}

}  // namespace

void upsample_nearest2d_cpu(const Tensor& x, const Tensor& y, const Upsample2dGeom& g) {
  OC_DISPATCH_FLOATING(x.dtype(), "upsample_nearest2d", [&] {
    const scalar_t* xp = static_cast<const scalar_t*>(x.raw_data());
    scalar_t* yp = static_cast<scalar_t*>(y.raw_data());
    for_each_plane(planes_of(y, g.out_h, g.out_w), g.out_h * g.out_w, [&](int64_t p) {
      const scalar_t* in = xp + p * g.in_h * g.in_w;
      scalar_t* out = yp + p * g.out_h * g.out_w;
      for (int64_t oh = 0; oh < g.out_h; ++oh) {
        const int64_t ih = nearest_source_index(oh, g.in_h, g.out_h);
        for (int64_t ow = 0; ow < g.out_w; ++ow)
          out[oh * g.out_w + ow] = in[ih * g.in_w + nearest_source_index(ow, g.in_w, g.out_w)];
      }
    });
  });
}

void upsample_nearest2d_backward_cpu(const Tensor& gy, const Tensor& gx, const Upsample2dGeom& g) {
  OC_DISPATCH_FLOATING(gy.dtype(), "upsample_nearest2d_backward", [&] {
    const scalar_t* gyp = static_cast<const scalar_t*>(gy.raw_data());
    scalar_t* gxp = static_cast<scalar_t*>(gx.raw_data());
    for_each_plane(planes_of(gx, g.in_h, g.in_w), g.out_h * g.out_w, [&](int64_t p) {
      const scalar_t* go = gyp + p * g.out_h * g.out_w;
      scalar_t* gi = gxp + p * g.in_h * g.in_w;
      std::fill(gi, gi + g.in_h * g.in_w, scalar_t(0));
      for (int64_t oh = 0; oh < g.out_h; ++oh) {
        const int64_t ih = nearest_source_index(oh, g.in_h, g.out_h);
        for (int64_t ow = 0; ow < g.out_w; ++ow)
          gi[ih * g.in_w + nearest_source_index(ow, g.in_w, g.out_w)] += go[oh * g.out_w + ow];
      }
    });
  });
}

void upsample_bilinear2d_cpu(const Tensor& x, const Tensor& y, const Upsample2dGeom& g) {
  OC_DISPATCH_FLOATING(x.dtype(), "upsample_bilinear2d", [&] {
    const scalar_t* xp = static_cast<const scalar_t*>(x.raw_data());
    scalar_t* yp = static_cast<scalar_t*>(y.raw_data());
    const scalar_t sh = bilinear_scale<scalar_t>(g.in_h, g.out_h, g.align_corners);
    const scalar_t sw = bilinear_scale<scalar_t>(g.in_w, g.out_w, g.align_corners);
    for_each_plane(planes_of(y, g.out_h, g.out_w), 4 * g.out_h * g.out_w, [&](int64_t p) {
      const scalar_t* in = xp + p * g.in_h * g.in_w;
      scalar_t* out = yp + p * g.out_h * g.out_w;
      for (int64_t oh = 0; oh < g.out_h; ++oh)
        for (int64_t ow = 0; ow < g.out_w; ++ow) out[oh * g.out_w + ow] = upsample_bilinear_value(in, g, sh, sw, oh, ow);
    });
  });
}

void upsample_bilinear2d_backward_cpu(const Tensor& gy, const Tensor& gx, const Upsample2dGeom& g) {
  OC_DISPATCH_FLOATING(gy.dtype(), "upsample_bilinear2d_backward", [&] {
    const scalar_t* gyp = static_cast<const scalar_t*>(gy.raw_data());
    scalar_t* gxp = static_cast<scalar_t*>(gx.raw_data());
    const scalar_t sh = bilinear_scale<scalar_t>(g.in_h, g.out_h, g.align_corners);
    const scalar_t sw = bilinear_scale<scalar_t>(g.in_w, g.out_w, g.align_corners);
    for_each_plane(planes_of(gx, g.in_h, g.in_w), 4 * g.out_h * g.out_w, [&](int64_t p) {
      const scalar_t* go = gyp + p * g.out_h * g.out_w;
      scalar_t* gi = gxp + p * g.in_h * g.in_w;
      std::fill(gi, gi + g.in_h * g.in_w, scalar_t(0));
      auto add = [gi](int64_t i, scalar_t v) { gi[i] += v; };
      for (int64_t oh = 0; oh < g.out_h; ++oh)
        for (int64_t ow = 0; ow < g.out_w; ++ow) upsample_bilinear_spread(go[oh * g.out_w + ow], g, sh, sw, oh, ow, add);
    });
  });
}

}  // namespace oc
