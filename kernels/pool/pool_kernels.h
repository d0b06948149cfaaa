// Pooling kernels, _cpu and _cuda side by side. Every tensor is contiguous: x and gx are
// [P, H, W], y, gy and indices [P, Ho, Wo] (P = N * C planes; indices int64, h * W + w in the plane).
// The sizes are in `g`; the kernels trust them (the front end checked).
#pragma once
#include "core/tensor.h"
#include "kernels/pool/pool_math.h"

namespace oc {

// [P, H, W] -> values and argmax indices [P, Ho, Wo]
void max_pool2d_cpu(const Tensor& x, const Tensor& y, const Tensor& indices, const Pool2dGeom& g);
void max_pool2d_cuda(const Tensor& x, const Tensor& y, const Tensor& indices, const Pool2dGeom& g);
// gy, indices [P, Ho, Wo] -> gx [P, H, W] (written, not accumulated)
void max_pool2d_backward_cpu(const Tensor& gy, const Tensor& indices, const Tensor& gx, const Pool2dGeom& g);
void max_pool2d_backward_cuda(const Tensor& gy, const Tensor& indices, const Tensor& gx, const Pool2dGeom& g);

// [P, H, W] -> [P, Ho, Wo]
void avg_pool2d_cpu(const Tensor& x, const Tensor& y, const Pool2dGeom& g, bool count_include_pad);
void avg_pool2d_cuda(const Tensor& x, const Tensor& y, const Pool2dGeom& g, bool count_include_pad);
// gy [P, Ho, Wo] -> gx [P, H, W]
void avg_pool2d_backward_cpu(const Tensor& gy, const Tensor& gx, const Pool2dGeom& g, bool count_include_pad);
void avg_pool2d_backward_cuda(const Tensor& gy, const Tensor& gx, const Pool2dGeom& g, bool count_include_pad);

// [P, H, W] -> [P, Ho, Wo] (g's kernel, stride and pad are unused)
void adaptive_avg_pool2d_cpu(const Tensor& x, const Tensor& y, const Pool2dGeom& g);
void adaptive_avg_pool2d_cuda(const Tensor& x, const Tensor& y, const Pool2dGeom& g);
// gy [P, Ho, Wo] -> gx [P, H, W]
void adaptive_avg_pool2d_backward_cpu(const Tensor& gy, const Tensor& gx, const Pool2dGeom& g);
void adaptive_avg_pool2d_backward_cuda(const Tensor& gy, const Tensor& gx, const Pool2dGeom& g);

}  // namespace oc
