// Boxes for detection, as torchvision.ops: areas, pairwise and paired IoU / GIoU (differentiable),
// clipping, small-box removal, and the box coder's encode / decode (torchvision's BoxCoder).
// Boxes are [N,4] rows (x1, y1, x2, y2), float32 or float64, on any device.
#pragma once
#include <cmath>
#include <cstdint>

#include "core/tensor.h"
#include "kernels/boxes/boxes_math.h"

namespace oc {

// [N,4] -> [N]: (x2 - x1) (y2 - y1), not clamped (an inverted box has a negative area, as torchvision).
Tensor box_area(const Tensor& boxes);
// [N,4] x [M,4] -> [N,M]: IoU of every pair. Two empty boxes give 0 / 0 = NaN, as torchvision.
Tensor box_iou(const Tensor& a, const Tensor& b);
// [N,4] x [M,4] -> [N,M]: generalized IoU, iou - (C - union) / C with C the enclosing box's area.
Tensor generalized_box_iou(const Tensor& a, const Tensor& b);
// [N,4] x [N,4] -> [N]: the IoU / GIoU of a[i] and b[i] (box losses; torchvision's
// generalized_box_iou_loss computes this one).
Tensor box_iou_paired(const Tensor& a, const Tensor& b);
Tensor generalized_box_iou_paired(const Tensor& a, const Tensor& b);
// [...,4] -> [...,4]: x clamped to [0, width], y to [0, height] (the gradient passes where a
// coordinate is inside, as torch.clamp).
Tensor clip_boxes_to_image(const Tensor& boxes, int64_t height, int64_t width);
// [N,4] -> int64 [K]: indices (ascending) of the boxes whose width and height are both >= min_size.
// On CUDA the count is read back: one synchronization.
Tensor remove_small_boxes(const Tensor& boxes, double min_size);

// torchvision's bbox_xform_clip: dw and dh are clamped to log(1000 / 16) before exp.
inline const double kBoxDecodeClip = std::log(1000.0 / 16);
// RPN (1, 1, 1, 1) and the RoI head of Faster R-CNN (10, 10, 5, 5).
inline constexpr BoxCoderWeights kRpnBoxWeights{1, 1, 1, 1}, kRoiHeadBoxWeights{10, 10, 5, 5};

// boxes [N,4] relative to refs [N,4] -> deltas [N,4] (regression targets: no gradient is recorded).
Tensor encode_boxes(const Tensor& boxes, const Tensor& refs, const BoxCoderWeights& weights);
// deltas [N,4K] relative to refs [N,4] -> boxes [N,4K] (K boxes per reference, e.g. one per class).
// Differentiable in both, as torchvision's (detectors detach their proposals before decoding).
Tensor decode_boxes(const Tensor& deltas, const Tensor& refs, const BoxCoderWeights& weights,
                    double clip = kBoxDecodeClip);

}  // namespace oc
