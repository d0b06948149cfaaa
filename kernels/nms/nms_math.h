// The NMS order and suppression rule, written once for the CPU reference and the CUDA kernels.
//   order:    decreasing score; equal scores keep the lower index first; NaN scores last.
//   suppress: a box ranked after a kept box, of the same class, with IoU(kept, box) > threshold
//             (strictly, as torchvision; IoU computed with the kept box first, on both devices).
#pragma once
#include <cstdint>

#include "core/hd.h"
#include "kernels/boxes/boxes_math.h"

namespace oc {

// Whether (score a, index ia) comes before (score b, index ib). A total order.
template <class T>
OC_HD bool nms_before(T a, int64_t ia, T b, int64_t ib) {
  const bool a_nan = a != a, b_nan = b != b;
  if (a_nan != b_nan) return b_nan;
  if (!a_nan && a != b) return a > b;
  return ia < ib;
}

// Whether kept box k suppresses box j (classes may be null: one class).
template <class T>
OC_HD bool nms_suppresses(const T* boxes, const int64_t* classes, int64_t k, int64_t j, T threshold) {
  if (classes != nullptr && classes[k] != classes[j]) return false;
  return box_pair_iou(boxes + 4 * k, boxes + 4 * j, false) > threshold;
}

}  // namespace oc
