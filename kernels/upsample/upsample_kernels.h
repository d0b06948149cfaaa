// Upsampling kernels, _cpu and _cuda side by side. x and gx are contiguous [P, H, W], y and gy
// contiguous [P, Ho, Wo] (P = N * C planes); the sizes are in `g`. Backward kernels write gx
// (zeroing it first), they do not accumulate into it.
#pragma once
#include "core/tensor.h"
#include "kernels/upsample/upsample_math.h"

namespace oc {

// [P, H, W] -> [P, Ho, Wo]
void upsample_nearest2d_cpu(const Tensor& x, const Tensor& y, const Upsample2dGeom& g);
void upsample_nearest2d_cuda(const Tensor& x, const Tensor& y, const Upsample2dGeom& g);
// gy [P, Ho, Wo] -> gx [P, H, W]
void upsample_nearest2d_backward_cpu(const Tensor& gy, const Tensor& gx, const Upsample2dGeom& g);
void upsample_nearest2d_backward_cuda(const Tensor& gy, const Tensor& gx, const Upsample2dGeom& g);

// [P, H, W] -> [P, Ho, Wo]
void upsample_bilinear2d_cpu(const Tensor& x, const Tensor& y, const Upsample2dGeom& g);
void upsample_bilinear2d_cuda(const Tensor& x, const Tensor& y, const Upsample2dGeom& g);
// gy [P, Ho, Wo] -> gx [P, H, W]
void upsample_bilinear2d_backward_cpu(const Tensor& gy, const Tensor& gx, const Upsample2dGeom& g);
void upsample_bilinear2d_backward_cuda(const Tensor& gy, const Tensor& gx, const Upsample2dGeom& g);

}  // namespace oc
