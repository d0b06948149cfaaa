// RoIPool's bin math (Fast R-CNN, torchvision.ops.roi_pool), written once for the CPU reference
// and the CUDA kernels.
//
// The box corners are rounded to feature pixels (half away from zero): start = round(x1 * s),
// end = round(x2 * s); the RoI spans size = max(end - start + 1, 1) whole pixels. Bin p of P covers
// pixels [floor(p * size / P), ceil((p + 1) * size / P)) from start, clipped to the map; a bin left
// empty by the clipping gives 0 with argmax -1. Bins may overlap by a pixel.
#pragma once
#include <cfloat>
#include <cmath>
#include <cstdint>

#include "kernels/roi_align/roi_align_math.h"

namespace oc {

OC_HD float roi_floor(float v) { return ::floorf(v); }
OC_HD double roi_floor(double v) { return ::floor(v); }
OC_HD float roi_round(float v) { return ::roundf(v); }  // half away from zero, as std::round
OC_HD double roi_round(double v) { return ::round(v); }

// The pixels [h0, h1) x [w0, w1) of bin (ph, pw) of a box, in image `batch`.
struct RoiPoolWindow {
  int64_t batch, h0, h1, w0, w1;
};

OC_HD int64_t roi_clamp(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : (v > hi ? hi : v); }

template <class T>
OC_HD RoiPoolWindow roi_pool_window(const T* roi, const RoiGeom& g, int64_t ph, int64_t pw) {
  const T scale = static_cast<T>(g.spatial_scale);
  const int64_t start_w = cast_value<int64_t>(roi_round(roi[1] * scale));
  const int64_t start_h = cast_value<int64_t>(roi_round(roi[2] * scale));
  const int64_t end_w = cast_value<int64_t>(roi_round(roi[3] * scale));
  const int64_t end_h = cast_value<int64_t>(roi_round(roi[4] * scale));
  const int64_t size_w = end_w - start_w + 1 > 1 ? end_w - start_w + 1 : 1;
  const int64_t size_h = end_h - start_h + 1 > 1 ? end_h - start_h + 1 : 1;
  const T bin_h = static_cast<T>(size_h) / static_cast<T>(g.pooled_h);
  const T bin_w = static_cast<T>(size_w) / static_cast<T>(g.pooled_w);
  RoiPoolWindow r;
  r.batch = cast_value<int64_t>(roi[0]);
  r.h0 = roi_clamp(cast_value<int64_t>(roi_floor(static_cast<T>(ph) * bin_h)) + start_h, 0, g.h);
  r.h1 = roi_clamp(cast_value<int64_t>(roi_ceil(static_cast<T>(ph + 1) * bin_h)) + start_h, 0, g.h);
  r.w0 = roi_clamp(cast_value<int64_t>(roi_floor(static_cast<T>(pw) * bin_w)) + start_w, 0, g.w);
  r.w1 = roi_clamp(cast_value<int64_t>(roi_ceil(static_cast<T>(pw + 1) * bin_w)) + start_w, 0, g.w);
  return r;
}

// The maximum of a window of a plane [H, W] and its index h * W + w. As torchvision: the running
// maximum starts at -FLT_MAX (in float64 too) and a value replaces it only when strictly greater, so
// the first maximum wins ties, NaN never wins, and a window of values <= -FLT_MAX keeps argmax -1;
// an empty window gives 0 and -1.
template <class T>
OC_HD void roi_pool_bin(const T* plane, int64_t w, const RoiPoolWindow& r, T* value, int64_t* index) {
  const bool empty = r.h1 <= r.h0 || r.w1 <= r.w0;
  T best = empty ? T(0) : static_cast<T>(-FLT_MAX);
  int64_t best_i = -1;
  for (int64_t h = r.h0; h < r.h1; ++h)
    for (int64_t x = r.w0; x < r.w1; ++x)
      if (plane[h * w + x] > best) {
        best = plane[h * w + x];
        best_i = h * w + x;
      }
  *value = best;
  *index = best_i;
}

}  // namespace oc
