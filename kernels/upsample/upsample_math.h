// Source coordinates of 2-D upsampling, written once for the CPU reference and the CUDA kernels,
// with PyTorch's conventions (aten/src/ATen/native/UpSample.h). Along one axis of in -> out pixels:
//
//   nearest:  src = min(floor(dst * s), in - 1),  s = in / out in float32; out == in and
//             out == 2 in are special-cased as PyTorch does (dst and dst >> 1).
//   bilinear, align_corners = true:  the centres of the corner pixels coincide,
//             src = dst * (in - 1) / (out - 1)              (0 when out == 1)
//               in 0 ------- 1 ------- 2        (in = 3, out = 5)
//              out 0 -- 1 -- 2 -- 3 -- 4
//   bilinear, align_corners = false: the pixel areas coincide (half-pixel centres),
//             src = max((dst + 0.5) * in / out - 0.5, 0)   (left of pixel 0's centre: pixel 0)
//               in |    0    |    1    |    2    |
//              out | 0 | 1 | 2 | 3 | 4 | 5 |             (in = 3, out = 6: out 1 -> src 0.25)
//   then src lies between i0 = floor(src) and i1 = min(i0 + 1, in - 1), weights 1 - l and l,
//   l = src - i0. The scale and src are computed in the scalar type T, as PyTorch does.
#pragma once
#include <cmath>
#include <cstdint>

#include "core/hd.h"
#include "core/hd_rounding.h"

namespace oc {

struct Upsample2dGeom {
  int64_t in_h, in_w, out_h, out_w;
  bool align_corners = false;
};

OC_HD int64_t nearest_source_index(int64_t dst, int64_t in, int64_t out) {
  if (out == in) return dst;
  if (out == 2 * in) return dst >> 1;
  const float scale = static_cast<float>(in) / static_cast<float>(out);
  const int64_t src = static_cast<int64_t>(::floorf(static_cast<float>(dst) * scale));
  return src < in - 1 ? src : in - 1;
}

template <class T>
OC_HD T bilinear_scale(int64_t in, int64_t out, bool align_corners) {
  if (align_corners) return out > 1 ? static_cast<T>(in - 1) / static_cast<T>(out - 1) : T(0);
  return static_cast<T>(in) / static_cast<T>(out);
}

// The two source pixels of dst along one axis and their weights.
template <class T>
struct LinearTaps {
  int64_t i0, i1;
  T l0, l1;
};

template <class T>
OC_HD LinearTaps<T> bilinear_taps(int64_t dst, int64_t in, T scale, bool align_corners) {
  T src;
  if (align_corners) {
    src = scale * static_cast<T>(dst);
  } else {
    src = sub_rn(mul_rn(scale, static_cast<T>(dst) + T(0.5)), T(0.5));  // not contracted: floor(src) at ties
    if (src < T(0)) src = T(0);
  }
  LinearTaps<T> t;
  t.i0 = static_cast<int64_t>(src);
  t.i1 = t.i0 < in - 1 ? t.i0 + 1 : t.i0;
  t.l1 = src - static_cast<T>(t.i0);
  t.l0 = T(1) - t.l1;
  return t;
}

// Output (oh, ow) of a contiguous [H, W] plane.
template <class T>
OC_HD T upsample_bilinear_value(const T* plane, const Upsample2dGeom& g, T scale_h, T scale_w, int64_t oh,
                                int64_t ow) {
  const LinearTaps<T> h = bilinear_taps(oh, g.in_h, scale_h, g.align_corners);
  const LinearTaps<T> w = bilinear_taps(ow, g.in_w, scale_w, g.align_corners);
  return h.l0 * (w.l0 * plane[h.i0 * g.in_w + w.i0] + w.l1 * plane[h.i0 * g.in_w + w.i1]) +
         h.l1 * (w.l0 * plane[h.i1 * g.in_w + w.i0] + w.l1 * plane[h.i1 * g.in_w + w.i1]);
}

// The gradient of output (oh, ow), gy, spread to its four sources: add(index in plane, value).
// The CPU adds directly (one thread per plane), CUDA with atomicAdd.
template <class T, class Add>
OC_HD void upsample_bilinear_spread(T gy, const Upsample2dGeom& g, T scale_h, T scale_w, int64_t oh, int64_t ow,
                                    Add&& add) {
  const LinearTaps<T> h = bilinear_taps(oh, g.in_h, scale_h, g.align_corners);
  const LinearTaps<T> w = bilinear_taps(ow, g.in_w, scale_w, g.align_corners);
  add(h.i0 * g.in_w + w.i0, h.l0 * w.l0 * gy);
  add(h.i0 * g.in_w + w.i1, h.l0 * w.l1 * gy);
  add(h.i1 * g.in_w + w.i0, h.l1 * w.l0 * gy);
  add(h.i1 * g.in_w + w.i1, h.l1 * w.l1 * gy);
}

}  // namespace oc
