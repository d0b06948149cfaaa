// soft_argmax kernels, _cpu and _cuda side by side. All tensors are contiguous: x [maps, plane]
// (plane = D*H*W), out and gout [maps, cols] (cols = dims, + 1 with the value), stats [maps, 2]
// (max, sum of exp) saved by the forward for the backward. The sizes are in the geometry.
#pragma once
#include "core/tensor.h"
#include "kernels/soft_argmax/soft_argmax_math.h"

namespace oc {

// [maps, plane] -> out [maps, cols], stats [maps, 2]
void soft_argmax_forward_cpu(const Tensor& x, const Tensor& out, const Tensor& stats, const SoftArgmaxGeom& g);
void soft_argmax_forward_cuda(const Tensor& x, const Tensor& out, const Tensor& stats, const SoftArgmaxGeom& g);
// gout [maps, cols] -> gx [maps, plane] (written, not accumulated), from x, the saved stats and out.
void soft_argmax_backward_cpu(const Tensor& x, const Tensor& stats, const Tensor& out, const Tensor& gout,
                              const Tensor& gx, const SoftArgmaxGeom& g);
void soft_argmax_backward_cuda(const Tensor& x, const Tensor& stats, const Tensor& out, const Tensor& gout,
                               const Tensor& gx, const SoftArgmaxGeom& g);

}  // namespace oc
