// Front end of NMS: checks naming the op and the shapes, dispatch, and the two result forms (the
// kept indices, read back once; or a fixed-size buffer with the count left on the device).
#include "kernels/nms/nms.h"

#include <cmath>

#include "kernels/common/checks.h"
#include "kernels/common/dispatch.h"
#include "kernels/copy/copy.h"
#include "kernels/fill/fill.h"
#include "kernels/nms/nms_kernels.h"
#include "kernels/views/views.h"

namespace oc {
namespace {

struct NmsInputs {
  Tensor boxes, scores, classes;
};

NmsInputs check_nms(const char* op, const Tensor& boxes, const Tensor& scores, const Tensor& classes,
                    double threshold) {
  check_defined(op, {&boxes, &scores});
  check_floating(op, boxes);
  OC_CHECK(boxes.dim() == 2 && boxes.size(1) == 4, op, ": boxes must be [N, 4] (x1, y1, x2, y2), got ",
           shape_str(boxes.shape()));
  OC_CHECK(scores.dim() == 1 && scores.size(0) == boxes.size(0), op, ": scores must be [N] for boxes ",
           shape_str(boxes.shape()), ", got ", shape_str(scores.shape()));
  check_same_dtype(op, {&boxes, &scores});
  check_same_device(op, {&boxes, &scores});
  // An IoU is > a negative threshold even for disjoint boxes: that is not suppression.
  OC_CHECK(threshold >= 0 && std::isfinite(threshold), op, ": iou_threshold ", threshold,
           " must be finite and >= 0");
  NmsInputs in{contiguous(boxes.detach()), contiguous(scores.detach()), Tensor()};
  if (classes.defined()) {
    check_dtype(op, classes, DType::i64, "classes");
    OC_CHECK(classes.dim() == 1 && classes.size(0) == boxes.size(0), op, ": classes must be [N] for boxes ",
             shape_str(boxes.shape()), ", got ", shape_str(classes.shape()));
    check_same_device(op, {&boxes, &classes});
    in.classes = contiguous(classes);
  }
  return in;
}

Tensor nms_indices(const char* op, const Tensor& boxes, const Tensor& scores, const Tensor& classes, double threshold) {
  const NmsInputs in = check_nms(op, boxes, scores, classes, threshold);
  const int64_t n = boxes.size(0);
  Tensor keep = Tensor::empty({n}, DType::i64, boxes.device());
  Tensor count = Tensor::empty({1}, DType::i64, boxes.device());
  OC_ON_DEVICE(boxes.device(), nms, in.boxes, in.scores, in.classes, threshold, n, keep, count);
  const int64_t kept = to_vector<int64_t>(count)[0];  // the one synchronization on CUDA
  return slice(keep, 0, 0, kept);
}

}  // namespace

Tensor nms(const Tensor& boxes, const Tensor& scores, double iou_threshold) {
  return nms_indices("nms", boxes, scores, Tensor(), iou_threshold);
}

Tensor batched_nms(const Tensor& boxes, const Tensor& scores, const Tensor& classes, double iou_threshold) {
  check_defined("batched_nms", {&classes});
  return nms_indices("batched_nms", boxes, scores, classes, iou_threshold);
}

NmsFixed nms_fixed(const Tensor& boxes, const Tensor& scores, const Tensor& classes, double iou_threshold,
                   int64_t max_out) {
  const NmsInputs in = check_nms("nms_fixed", boxes, scores, classes, iou_threshold);
  OC_CHECK(max_out >= 0, "nms_fixed: max_out ", max_out, " must be >= 0");
  NmsFixed r{full({max_out}, -1, DType::i64, boxes.device()), Tensor::empty({1}, DType::i64, boxes.device())};
  OC_ON_DEVICE(boxes.device(), nms, in.boxes, in.scores, in.classes, iou_threshold, max_out, r.indices, r.count);
  r.count = reshape(r.count, {});
  return r;
}

}  // namespace oc
