// Front end of the box ops: shape, dtype and device checks naming the op and the shapes, dispatch,
// and the gradient rules (IoU: the pair's analytic gradient in boxes_math.h; decode: deltas and references).
// box_area and clip_boxes_to_image are compositions of elementwise ops (their gradients come with them).
#include "kernels/boxes/boxes.h"

#include <vector>

#include "core/autograd.h"
#include "kernels/boxes/boxes_kernels.h"
#include "kernels/common/checks.h"
#include "kernels/common/dispatch.h"
#include "kernels/copy/copy.h"
#include "kernels/elementwise/elementwise.h"
#include "kernels/fill/fill.h"
#include "kernels/views/views.h"

namespace oc {
namespace {

void check_boxes(const char* op, const Tensor& t, const char* what) {
  check_defined(op, {&t});
  check_floating(op, t);
  OC_CHECK(t.dim() == 2 && t.size(1) == 4, op, ": ", what, " must be [N, 4] boxes (x1, y1, x2, y2), got ",
           shape_str(t.shape()));
}

Tensor iou_op(const char* op, const Tensor& a, const Tensor& b, bool generalized, bool paired) {
  check_boxes(op, a, "the first boxes");
  check_boxes(op, b, "the second boxes");
  check_same_device(op, {&a, &b});
  check_same_dtype(op, {&a, &b});
  if (paired)
    OC_CHECK(a.size(0) == b.size(0), op, ": paired boxes need as many rows: ", shape_str(a.shape()), " and ",
             shape_str(b.shape()));
  const Tensor ac = contiguous(a.detach()), bc = contiguous(b.detach());
  Tensor iou = Tensor::empty(paired ? Shape{a.size(0)} : Shape{a.size(0), b.size(0)}, a.dtype(), a.device());
  OC_ON_DEVICE(a.device(), box_iou, ac, bc, iou, generalized, paired);
  record_op(iou, op, {a, b}, [ac, bc, generalized, paired](const Tensor& g) {
    const Tensor gc = contiguous(g);
    Tensor ga = Tensor::empty(ac.shape(), ac.dtype(), ac.device()), gb = Tensor::empty(bc.shape(), bc.dtype(), bc.device());
    OC_ON_DEVICE(gc.device(), box_iou_backward, ac, bc, gc, ga, gb, generalized, paired);
    return std::vector<Tensor>{ga, gb};
  });
  return iou;
}

void check_weights(const char* op, const BoxCoderWeights& w) {
  OC_CHECK(w.wx > 0 && w.wy > 0 && w.ww > 0 && w.wh > 0 && std::isfinite(w.wx) && std::isfinite(w.wy) &&
               std::isfinite(w.ww) && std::isfinite(w.wh),
           op, ": weights (", w.wx, ", ", w.wy, ", ", w.ww, ", ", w.wh, ") must be positive and finite");
}

}  // namespace

Tensor box_area(const Tensor& boxes) {
  check_boxes("box_area", boxes, "boxes");
  return mul(sub(select(boxes, 1, 2), select(boxes, 1, 0)), sub(select(boxes, 1, 3), select(boxes, 1, 1)));
}

Tensor box_iou(const Tensor& a, const Tensor& b) { return iou_op("box_iou", a, b, false, false); }
Tensor generalized_box_iou(const Tensor& a, const Tensor& b) { return iou_op("generalized_box_iou", a, b, true, false); }
Tensor box_iou_paired(const Tensor& a, const Tensor& b) { return iou_op("box_iou_paired", a, b, false, true); }
Tensor generalized_box_iou_paired(const Tensor& a, const Tensor& b) {
  return iou_op("generalized_box_iou_paired", a, b, true, true);
}

Tensor clip_boxes_to_image(const Tensor& boxes, int64_t height, int64_t width) {
  check_defined("clip_boxes_to_image", {&boxes});
  check_floating("clip_boxes_to_image", boxes);
  OC_CHECK(boxes.dim() >= 1 && boxes.size(-1) == 4, "clip_boxes_to_image: boxes must be [..., 4], got ",
           shape_str(boxes.shape()));
  OC_CHECK(height >= 0 && width >= 0, "clip_boxes_to_image: image size ", height, "x", width, " must be non-negative");
  const int64_t last = boxes.dim() - 1;
  std::vector<Tensor> cols;
  for (int64_t c = 0; c < 4; ++c)
    cols.push_back(clamp(select(boxes, last, c), 0, static_cast<double>(c % 2 == 0 ? width : height)));
  return stack(cols, last);
}

Tensor remove_small_boxes(const Tensor& boxes, double min_size) {
  check_boxes("remove_small_boxes", boxes, "boxes");
  const Tensor bc = contiguous(boxes.detach());
  Tensor keep = Tensor::empty({boxes.size(0)}, DType::u8, boxes.device());
  OC_ON_DEVICE(boxes.device(), small_boxes_mask, bc, keep, min_size);
  const std::vector<uint8_t> mask = to_vector<uint8_t>(keep);  // the one synchronization on CUDA
  std::vector<int64_t> indices;
  for (size_t i = 0; i < mask.size(); ++i)
    if (mask[i]) indices.push_back(static_cast<int64_t>(i));
  return from_vector(indices, {static_cast<int64_t>(indices.size())}, boxes.device());
}

Tensor encode_boxes(const Tensor& boxes, const Tensor& refs, const BoxCoderWeights& weights) {
  check_boxes("encode_boxes", boxes, "boxes");
  check_boxes("encode_boxes", refs, "reference boxes");
  check_same_device("encode_boxes", {&boxes, &refs});
  check_same_dtype("encode_boxes", {&boxes, &refs});
  check_weights("encode_boxes", weights);
  OC_CHECK(boxes.size(0) == refs.size(0), "encode_boxes: ", shape_str(boxes.shape()), " boxes and ",
           shape_str(refs.shape()), " reference boxes must have as many rows");
  Tensor deltas = Tensor::empty(boxes.shape(), boxes.dtype(), boxes.device());
  OC_ON_DEVICE(boxes.device(), encode_boxes, contiguous(boxes.detach()), contiguous(refs.detach()), deltas, weights);
  return deltas;
}

Tensor decode_boxes(const Tensor& deltas, const Tensor& refs, const BoxCoderWeights& weights, double clip) {
  check_defined("decode_boxes", {&deltas, &refs});
  check_floating("decode_boxes", deltas);
  OC_CHECK(deltas.dim() == 2 && deltas.size(1) % 4 == 0 && deltas.size(1) > 0,
           "decode_boxes: deltas must be [N, 4K] (dx, dy, dw, dh per box), got ", shape_str(deltas.shape()));
  check_boxes("decode_boxes", refs, "reference boxes");
  check_same_device("decode_boxes", {&deltas, &refs});
  check_same_dtype("decode_boxes", {&deltas, &refs});
  check_weights("decode_boxes", weights);
  OC_CHECK(deltas.size(0) == refs.size(0), "decode_boxes: ", shape_str(deltas.shape()), " deltas and ",
           shape_str(refs.shape()), " reference boxes must have as many rows");
  const Tensor dc = contiguous(deltas.detach()), rc = contiguous(refs.detach());
  Tensor boxes = Tensor::empty(deltas.shape(), deltas.dtype(), deltas.device());
  OC_ON_DEVICE(deltas.device(), decode_boxes, dc, rc, boxes, weights, clip);
  record_op(boxes, "decode_boxes", {deltas, refs}, [dc, rc, weights, clip](const Tensor& g) {
    const Tensor gc = contiguous(g);
    Tensor gd = Tensor::empty(dc.shape(), dc.dtype(), dc.device()), gr = Tensor::empty(rc.shape(), rc.dtype(), rc.device());
    OC_ON_DEVICE(gc.device(), decode_boxes_backward, dc, rc, gc, gd, gr, weights, clip);
    return std::vector<Tensor>{gd, gr};
  });
  return boxes;
}

}  // namespace oc
