// RoIAlign and RoIPool kernels, _cpu and _cuda side by side. Every tensor is contiguous: features and
// their gradient [N, C, H, W], boxes [K, 5] (checked by the front end: integer batch indices in
// [0, N), finite coordinates), outputs, their gradients and argmax [K, C, PH, PW]. Sizes are in `g`;
// the kernels trust them. Backward kernels write the whole feature gradient (zeros where no bin reads).
#pragma once
#include "core/tensor.h"
#include "kernels/roi_align/roi_align_math.h"

namespace oc {

// [N, C, H, W] x [K, 5] -> [K, C, PH, PW]
void roi_align_cpu(const Tensor& x, const Tensor& boxes, const Tensor& y, const RoiGeom& g);
void roi_align_cuda(const Tensor& x, const Tensor& boxes, const Tensor& y, const RoiGeom& g);
// gy [K, C, PH, PW] -> gx [N, C, H, W]
void roi_align_backward_cpu(const Tensor& boxes, const Tensor& gy, const Tensor& gx, const RoiGeom& g);
void roi_align_backward_cuda(const Tensor& boxes, const Tensor& gy, const Tensor& gx, const RoiGeom& g);

// [N, C, H, W] x [K, 5] -> values and argmax (int64, h * W + w in the plane, -1 for none) [K, C, PH, PW]
void roi_pool_cpu(const Tensor& x, const Tensor& boxes, const Tensor& y, const Tensor& argmax, const RoiGeom& g);
void roi_pool_cuda(const Tensor& x, const Tensor& boxes, const Tensor& y, const Tensor& argmax, const RoiGeom& g);
// gy, argmax [K, C, PH, PW] -> gx [N, C, H, W]
void roi_pool_backward_cpu(const Tensor& boxes, const Tensor& gy, const Tensor& argmax, const Tensor& gx,
                           const RoiGeom& g);
void roi_pool_backward_cuda(const Tensor& boxes, const Tensor& gy, const Tensor& argmax, const Tensor& gx,
                            const RoiGeom& g);

}  // namespace oc
