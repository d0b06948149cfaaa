// Anchor boxes as torchvision's AnchorGenerator makes them (detection/anchor_utils.py): per feature
// level, base anchors from sizes x aspect ratios, centred at 0 and rounded, shifted by the level's
// stride over its feature map. The math is in anchors_math.h.
#pragma once
#include <cstdint>
#include <utility>
#include <vector>

#include "core/tensor.h"

namespace oc {

struct AnchorLevel {
  std::vector<double> sizes;          // side of the square anchor, in pixels (> 0)
  std::vector<double> aspect_ratios;  // height / width (> 0)
  int64_t feat_h = 0, feat_w = 0;     // feature map size (>= 0)
  int64_t stride_h = 0, stride_w = 0; // pixels per feature cell (> 0)
};

// The A = ratios x sizes base anchors of one level, [A, 4] xyxy float32 values (ratio-major: for
// each ratio, every size), as torchvision's generate_anchors.
std::vector<float> anchor_base_boxes(const std::vector<double>& sizes, const std::vector<double>& aspect_ratios);

// [sum over levels of H W A, 4] xyxy: level by level, each location row-major, every base anchor.
Tensor anchors(const std::vector<AnchorLevel>& levels, DType dtype = DType::f32, Device device = Device::cpu());

// torchvision's forward for a batch padded to image_h x image_w: each level's stride is
// image size // feature size (integer division), so every image of the batch gets these same anchors.
// sizes, aspect_ratios and feature_sizes ({H, W}) have one entry per level.
Tensor anchors_for_image(const std::vector<std::vector<double>>& sizes,
                         const std::vector<std::vector<double>>& aspect_ratios,
                         const std::vector<std::pair<int64_t, int64_t>>& feature_sizes, int64_t image_h,
                         int64_t image_w, DType dtype = DType::f32, Device device = Device::cpu());

}  // namespace oc
