// Anchor arithmetic written once for the CPU reference and the CUDA kernel, as torchvision's
// AnchorGenerator computes it (float32 base anchors, rounded half to even, then shifted).
//
// Base anchor of size s and aspect ratio r (= height / width), centred at 0:
//     h_ratio = sqrt(r), w_ratio = 1 / h_ratio, w = w_ratio s, h = h_ratio s      (all float32)
//     box = round([-w, -h, w, h] / 2)
// Level l with stride (sh, sw) on a feature map of width W: anchor row
//     first_row + (y W + x) A + a  =  base[a] + (x sw, y sh, x sw, y sh)
// i.e. for each location (row-major), every base anchor in order (ratio-major: each ratio, every size).
#pragma once
#include <cstdint>

#include "core/hd.h"
#include "core/hd_math.h"

namespace oc {

// One level of the anchor plan; the front end packs these as an int64 tensor [L, 6].
struct AnchorLevelGeom {
  int64_t first_row;   // first output row of the level
  int64_t num_base;    // A = sizes x ratios
  int64_t feat_w;      // W (H is implied by the next level's first_row)
  int64_t stride_h, stride_w;
  int64_t base_first;  // first row of the level's base anchors in the [sum A, 4] table
};

// torchvision's generate_anchors for one (size, ratio), in float32.
OC_HD void anchor_base_box(float size, float ratio, float* box) {
  const float h_ratio = hd_sqrt(ratio), w_ratio = 1.0f / h_ratio;
  const float w = w_ratio * size, h = h_ratio * size;
  box[0] = hd_round_half_even(-w / 2.0f);
  box[1] = hd_round_half_even(-h / 2.0f);
  box[2] = hd_round_half_even(w / 2.0f);
  box[3] = hd_round_half_even(h / 2.0f);
}

// Output row r (x1, y1, x2, y2). The shift is an integer converted to T before the add, as
// torchvision adds its int64 shifts to base anchors of the feature map's dtype.
template <class T>
OC_HD void anchor_row(const AnchorLevelGeom* levels, int64_t num_levels, const float* bases, int64_t r, T* out) {
  int64_t l = 0;
  while (l + 1 < num_levels && levels[l + 1].first_row <= r) ++l;
  const AnchorLevelGeom& g = levels[l];
  const int64_t local = r - g.first_row, loc = local / g.num_base, a = local % g.num_base;
  const T sx = static_cast<T>((loc % g.feat_w) * g.stride_w), sy = static_cast<T>((loc / g.feat_w) * g.stride_h);
  const float* b = bases + (g.base_first + a) * 4;
  out[0] = sx + static_cast<T>(b[0]);
  out[1] = sy + static_cast<T>(b[1]);
  out[2] = sx + static_cast<T>(b[2]);
  out[3] = sy + static_cast<T>(b[3]);
}

}  // namespace oc
