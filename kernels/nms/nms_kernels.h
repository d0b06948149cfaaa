// NMS kernels, _cpu and _cuda side by side. boxes [N,4] and scores [N] contiguous, one floating
// dtype; classes int64 [N] or undefined (one class). Writes the kept boxes' indices, in the order of
// nms_math.h, to keep int64 [>= max_out] (the rest of keep untouched) and their number to count
// int64 [1] (on the tensors' device). Stops after max_out kept boxes.
#pragma once
#include "core/tensor.h"

namespace oc {

void nms_cpu(const Tensor& boxes, const Tensor& scores, const Tensor& classes, double threshold, int64_t max_out,
             const Tensor& keep, const Tensor& count);
void nms_cuda(const Tensor& boxes, const Tensor& scores, const Tensor& classes, double threshold, int64_t max_out,
              const Tensor& keep, const Tensor& count);

}  // namespace oc
