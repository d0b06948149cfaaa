// grid_sample and affine_grid kernels, _cpu and _cuda side by side. All tensors are contiguous:
// x [N, C, plane] (plane = D*H*W), grid [N, points, dims], y and gy [N, C, points]; the sizes are in
// the geometry. Backward kernels write (never accumulate into) the gradients they are given; an
// undefined gradient tensor is not wanted and not computed.
#pragma once
#include "core/tensor.h"
#include "kernels/grid_sample/grid_sample_math.h"

namespace oc {

// [N, C, plane] x [N, points, dims] -> [N, C, points]
void grid_sample_cpu(const Tensor& x, const Tensor& grid, const Tensor& y, const GridSampleGeom& g);
void grid_sample_cuda(const Tensor& x, const Tensor& grid, const Tensor& y, const GridSampleGeom& g);
// gy [N, C, points] -> gx [N, C, plane] (if defined), ggrid [N, points, dims] (if defined).
// deterministic: CUDA computes gx without atomics (the CPU always does).
void grid_sample_backward_cpu(const Tensor& x, const Tensor& grid, const Tensor& gy, const Tensor& gx,
                              const Tensor& ggrid, const GridSampleGeom& g, bool deterministic);
void grid_sample_backward_cuda(const Tensor& x, const Tensor& grid, const Tensor& gy, const Tensor& gx,
                               const Tensor& ggrid, const GridSampleGeom& g, bool deterministic);

// theta [N, dims, dims + 1] -> grid [N, points, dims]
void affine_grid_cpu(const Tensor& theta, const Tensor& grid, const AffineGridGeom& g);
void affine_grid_cuda(const Tensor& theta, const Tensor& grid, const AffineGridGeom& g);
// ggrid [N, points, dims] -> gtheta [N, dims, dims + 1]
void affine_grid_backward_cpu(const Tensor& ggrid, const Tensor& gtheta, const AffineGridGeom& g);
void affine_grid_backward_cuda(const Tensor& ggrid, const Tensor& gtheta, const AffineGridGeom& g);

}  // namespace oc
