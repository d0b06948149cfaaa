// RoIAlign's box, bin and bilinear-sample math, written once for the CPU reference and the CUDA
// kernels, with torchvision's rules (roi_align, aligned true and false).
//
// A box (x1, y1, x2, y2) in image pixels becomes, on the feature map (scale s, offset o = 0.5 when
// aligned, else 0):   start = x1 * s - o,   size = (x2 - x1) * s   (not aligned: at least 1)
// Bin p of PW covers [start + p * size / PW, start + (p + 1) * size / PW); it averages a G x G grid of
// samples at the centres of its sub-cells (G = sampling_ratio, or ceil(size / PW) when <= 0):
//
//     bin p:  |  .  |  .  |    sample i at  start + p * bin + (i + 0.5) * bin / G      (G = 2)
//
// A sample reads the map bilinearly, pixel centres at integers, one axis at a time:
//   v < -1 or v > size        outside: the sample is 0 (both axes' weights are zero)
//   -1 <= v <= 0              clamped to 0 (reads pixel 0 alone)
//   v >= size - 1             clamped to size - 1 (reads the last pixel alone)
//   else                      pixels floor(v) and floor(v) + 1 with weights 1 - t, t (t = v - floor(v))
// The sample count divides the bin's sum even where samples fall outside (they add 0).
#pragma once
#include <cmath>
#include <cstdint>

#include "core/hd.h"
#include "core/hd_rounding.h"
#include "kernels/common/cast.h"

namespace oc {

// features [N, C, H, W], boxes [K, 5], output [K, C, PH, PW].
struct RoiGeom {
  int64_t n = 0, c = 0, h = 0, w = 0, k = 0, pooled_h = 1, pooled_w = 1;
  double spatial_scale = 1;
  int64_t sampling_ratio = -1;  // RoIAlign only
  bool aligned = false;         // RoIAlign only
  OC_HD int64_t plane() const { return h * w; }
  OC_HD int64_t bins() const { return pooled_h * pooled_w; }
};

OC_HD float roi_ceil(float v) { return ::ceilf(v); }
OC_HD double roi_ceil(double v) { return ::ceil(v); }

// One RoI on the feature map: its image, where its bins start and their size, the samples per bin.
template <class T>
struct RoiAlignBox {
  int64_t batch;
  T start_h, start_w, bin_h, bin_w;
  int64_t grid_h, grid_w;  // >= 0 (an inverted aligned box has no samples: its bins are 0)
  T count;                 // the divisor: max(grid_h * grid_w, 1)
};

// roi: (batch index, x1, y1, x2, y2). The front end checked the index and that the coordinates are
// finite. The products are rounded once on both devices (core/hd_rounding.h): the adaptive grid is
// a ceil, and a fused multiply-add could move a size across an integer on one device only.
template <class T>
OC_HD RoiAlignBox<T> roi_align_box(const T* roi, const RoiGeom& g) {
  const T scale = static_cast<T>(g.spatial_scale), offset = g.aligned ? T(0.5) : T(0);
  RoiAlignBox<T> b;
  b.batch = cast_value<int64_t>(roi[0]);
  b.start_w = sub_rn(mul_rn(roi[1], scale), offset);
  b.start_h = sub_rn(mul_rn(roi[2], scale), offset);
  T size_w = sub_rn(sub_rn(mul_rn(roi[3], scale), offset), b.start_w);
  T size_h = sub_rn(sub_rn(mul_rn(roi[4], scale), offset), b.start_h);
  if (!g.aligned) {  // legacy: malformed boxes are forced to 1x1
    size_w = size_w > T(1) ? size_w : T(1);
    size_h = size_h > T(1) ? size_h : T(1);
  }
  b.bin_h = size_h / static_cast<T>(g.pooled_h);
  b.bin_w = size_w / static_cast<T>(g.pooled_w);
  b.grid_h = g.sampling_ratio > 0 ? g.sampling_ratio : cast_value<int64_t>(roi_ceil(b.bin_h));
  b.grid_w = g.sampling_ratio > 0 ? g.sampling_ratio : cast_value<int64_t>(roi_ceil(b.bin_w));
  // torchvision divides by max(gh * gw, 1) and loops over none when either is <= 0: the bin is 0.
  if (b.grid_h < 0) b.grid_h = 0;
  if (b.grid_w < 0) b.grid_w = 0;
  b.count = static_cast<T>(b.grid_h * b.grid_w > 1 ? b.grid_h * b.grid_w : 1);
  return b;
}

// Sample i of bin p along one axis: start + p * bin + (i + 0.5) * bin / grid (torchvision's order
// of operations, each rounded once on both devices).
template <class T>
OC_HD T roi_align_sample(T start, T bin, int64_t p, int64_t i, int64_t grid) {
  const T sub = div_rn(mul_rn(static_cast<T>(i) + T(0.5), bin), static_cast<T>(grid));
  return add_rn(add_rn(start, mul_rn(static_cast<T>(p), bin)), sub);
}

// The two pixels one axis of a sample reads and their weights (lo_w + hi_w = 1); valid is false
// outside [-1, size], where the sample reads 0.
template <class T>
struct RoiTap {
  int64_t lo, hi;
  T lo_w, hi_w;
  bool valid;
};

template <class T>
OC_HD RoiTap<T> roi_axis_tap(T v, int64_t size) {
  RoiTap<T> t{0, 0, T(0), T(0), false};
  if (v < T(-1) || v > static_cast<T>(size)) return t;
  if (v <= T(0)) v = T(0);
  t.lo = cast_value<int64_t>(v);  // v >= 0: truncation is floor
  if (t.lo >= size - 1) {
    t.lo = t.hi = size - 1;
    v = static_cast<T>(t.lo);
  } else {
    t.hi = t.lo + 1;
  }
  t.hi_w = v - static_cast<T>(t.lo);
  t.lo_w = T(1) - t.hi_w;
  t.valid = true;
  return t;
}

// The four bilinear weights of a sample, in torchvision's order: (lo, lo), (lo, hi), (hi, lo), (hi, hi)
// as (y, x).
template <class T>
struct RoiWeights {
  T w1, w2, w3, w4;
};
template <class T>
OC_HD RoiWeights<T> roi_weights(const RoiTap<T>& y, const RoiTap<T>& x) {
  return {y.lo_w * x.lo_w, y.lo_w * x.hi_w, y.hi_w * x.lo_w, y.hi_w * x.hi_w};
}

// One sample of a plane [H, W] (0 when outside).
template <class T>
OC_HD T roi_bilinear(const T* plane, int64_t w, const RoiTap<T>& y, const RoiTap<T>& x) {
  if (!y.valid || !x.valid) return T(0);
  const RoiWeights<T> k = roi_weights(y, x);
  return k.w1 * plane[y.lo * w + x.lo] + k.w2 * plane[y.lo * w + x.hi] + k.w3 * plane[y.hi * w + x.lo] +
         k.w4 * plane[y.hi * w + x.hi];
}

// Adds g times each weight of a sample to a gradient plane through add(index, value) (plain adds on
// the CPU, atomics on CUDA); nothing when the sample is outside.
template <class T, class Add>
OC_HD void roi_bilinear_grad(T g, const RoiTap<T>& y, const RoiTap<T>& x, int64_t w, T count, Add&& add) {
  if (!y.valid || !x.valid) return;
  const RoiWeights<T> k = roi_weights(y, x);
  add(y.lo * w + x.lo, g * k.w1 / count);
  add(y.lo * w + x.hi, g * k.w2 / count);
  add(y.hi * w + x.lo, g * k.w3 / count);
  add(y.hi * w + x.hi, g * k.w4 / count);
}

// Output bin (ph, pw) of a box on one plane, computing its taps on the way (the CUDA kernels; the
// CPU computes the same taps once per box and reuses them over the channels).
template <class T>
OC_HD T roi_align_bin(const T* plane, const RoiGeom& g, const RoiAlignBox<T>& b, int64_t ph, int64_t pw) {
  T acc = T(0);
  for (int64_t iy = 0; iy < b.grid_h; ++iy) {
    const RoiTap<T> ty = roi_axis_tap(roi_align_sample(b.start_h, b.bin_h, ph, iy, b.grid_h), g.h);
    for (int64_t ix = 0; ix < b.grid_w; ++ix)
      acc += roi_bilinear(plane, g.w, ty, roi_axis_tap(roi_align_sample(b.start_w, b.bin_w, pw, ix, b.grid_w), g.w));
  }
  return acc / b.count;
}

}  // namespace oc
