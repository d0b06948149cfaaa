// Box kernels, _cpu and _cuda side by side. Every tensor is contiguous; boxes are rows of 4
// (x1, y1, x2, y2) in one floating dtype. The kernels trust their inputs (boxes.cpp checked them).
#pragma once
#include "core/tensor.h"
#include "kernels/boxes/boxes_math.h"

namespace oc {

// a [N,4] x b [M,4] -> iou [N,M] (pairwise) or a [N,4] x b [N,4] -> iou [N] (paired)
void box_iou_cpu(const Tensor& a, const Tensor& b, const Tensor& iou, bool generalized, bool paired);
void box_iou_cuda(const Tensor& a, const Tensor& b, const Tensor& iou, bool generalized, bool paired);
// g (as iou) -> ga [N,4], gb [M,4] (written). Pairwise: ga[i] sums over j in order, gb[j] over i:
// deterministic, no atomics.
void box_iou_backward_cpu(const Tensor& a, const Tensor& b, const Tensor& g, const Tensor& ga, const Tensor& gb,
                          bool generalized, bool paired);
void box_iou_backward_cuda(const Tensor& a, const Tensor& b, const Tensor& g, const Tensor& ga, const Tensor& gb,
                           bool generalized, bool paired);

// boxes [N,4] relative to refs [N,4] -> deltas [N,4]
void encode_boxes_cpu(const Tensor& boxes, const Tensor& refs, const Tensor& deltas, const BoxCoderWeights& w);
void encode_boxes_cuda(const Tensor& boxes, const Tensor& refs, const Tensor& deltas, const BoxCoderWeights& w);
// deltas [N,4K] relative to refs [N,4] -> boxes [N,4K] (K boxes per reference, e.g. one per class)
void decode_boxes_cpu(const Tensor& deltas, const Tensor& refs, const Tensor& boxes, const BoxCoderWeights& w, double clip);
void decode_boxes_cuda(const Tensor& deltas, const Tensor& refs, const Tensor& boxes, const BoxCoderWeights& w, double clip);
// gboxes [N,4K] -> gdeltas [N,4K] and grefs [N,4] (written; a reference sums its K boxes in order)
void decode_boxes_backward_cpu(const Tensor& deltas, const Tensor& refs, const Tensor& gboxes, const Tensor& gdeltas,
                               const Tensor& grefs, const BoxCoderWeights& w, double clip);
void decode_boxes_backward_cuda(const Tensor& deltas, const Tensor& refs, const Tensor& gboxes, const Tensor& gdeltas,
                                const Tensor& grefs, const BoxCoderWeights& w, double clip);

// boxes [N,4] -> keep uint8 [N]: 1 where width >= min_size and height >= min_size
void small_boxes_mask_cpu(const Tensor& boxes, const Tensor& keep, double min_size);
void small_boxes_mask_cuda(const Tensor& boxes, const Tensor& keep, double min_size);

}  // namespace oc
