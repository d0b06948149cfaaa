// Region-of-interest pooling for detection heads, with torchvision's semantics
// (torchvision.ops.roi_align / roi_pool): each box of a [K, 5] list (batch index, x1, y1, x2, y2, in
// image coordinates) pools its region of the feature map into a fixed PH x PW grid of bins.
// Differentiable with respect to the features only (as torchvision: the boxes get no gradient).
#pragma once
#include <cstdint>

#include "core/tensor.h"

namespace oc {

struct RoiAlignParams {
  int64_t pooled_h = 7, pooled_w = 7;  // PH, PW: the output bins
  double spatial_scale = 1;            // feature-map pixels per image pixel (e.g. 1/16)
  // Bilinear samples per bin along each axis; <= 0: adaptive, ceil(roi size / pooled size).
  int64_t sampling_ratio = -1;
  // true: box coordinates shifted by -0.5 pixel (pixel centres at integers + 0.5, Detectron2's
  // convention); false: the legacy convention, RoIs at least 1 pixel wide and tall.
  bool aligned = false;
};

struct RoiPoolParams {
  int64_t pooled_h = 7, pooled_w = 7;
  double spatial_scale = 1;
};

// features [N, C, H, W] x boxes [K, 5] -> [K, C, PH, PW]: each bin is the mean of a grid of bilinear
// samples. Boxes have the features' dtype and device; batch indices are integers in [0, N).
Tensor roi_align(const Tensor& features, const Tensor& boxes, const RoiAlignParams& p);

// features [N, C, H, W] x boxes [K, 5] -> [K, C, PH, PW]: each bin is the maximum of the whole
// pixels it covers (box corners rounded to pixels; Fast R-CNN); an empty bin gives 0. The gradient
// goes to the first maximum of each bin.
Tensor roi_pool(const Tensor& features, const Tensor& boxes, const RoiPoolParams& p);

}  // namespace oc
