// Non-maximum suppression, as torchvision.ops.nms / batched_nms: greedy by decreasing score, a box is
// dropped when its IoU with a kept box is > iou_threshold. Equal scores keep the lower index first
// and NaN scores come last, on both devices (kernels/nms/nms_math.h). batched_nms suppresses only
// within a class (no coordinate-offset trick: boxes far from the origin keep their precision).
#pragma once
#include <cstdint>

#include "core/tensor.h"

namespace oc {

// boxes [N,4] (x1, y1, x2, y2), scores [N] -> int64 [K]: the kept boxes' indices by decreasing score.
// On CUDA the kept count is read back: one synchronization. iou_threshold must be >= 0.
Tensor nms(const Tensor& boxes, const Tensor& scores, double iou_threshold);
// The same, suppressing only between boxes of the same class (classes int64 [N]).
Tensor batched_nms(const Tensor& boxes, const Tensor& scores, const Tensor& classes, double iou_threshold);

// A fixed-size result for use inside a training step: no synchronization on CUDA.
struct NmsFixed {
  Tensor indices;  // int64 [max_out]: the first `count` kept boxes by decreasing score, then -1
  Tensor count;    // int64 [] on the boxes' device: min(kept, max_out)
};
// classes: int64 [N] (per-class suppression) or an undefined tensor (one class).
NmsFixed nms_fixed(const Tensor& boxes, const Tensor& scores, const Tensor& classes, double iou_threshold,
                   int64_t max_out);

}  // namespace oc
