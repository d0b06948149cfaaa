// Batch-norm kernels, _cpu and _cuda side by side. x, y, gy, gx are contiguous [N, C, S] (S: the
// product of the spatial dims, 1 for [N, C]); every per-channel tensor is contiguous [C] of x's
// dtype. weight and bias may be undefined (1 and 0). Channel sums are accumulated in double.
#pragma once
#include "core/tensor.h"

namespace oc {

struct BnDims {
  int64_t n, c, s;  // N, C, S
};

// x -> mean[c], biased var[c] (two passes: the mean, then the squared deviations from it)
void batch_norm_stats_cpu(const Tensor& x, const Tensor& mean, const Tensor& var, BnDims d);
void batch_norm_stats_cuda(const Tensor& x, const Tensor& mean, const Tensor& var, BnDims d);

// The per-channel tensors of the normalization y = (x - mean[c]) * invstd[c] * weight[c] + bias[c],
// and whether a ReLU follows it (batch_norm_relu): then y = max(y, 0), and the backward kernels
// mask gy by y > 0, recomputed from x (batch_norm_math.h).
struct BnAffine {
  Tensor mean, invstd, weight, bias;
  bool relu = false;
};

// y = (x - mean[c]) * invstd[c] * weight[c] + bias[c]   (then the ReLU)
void batch_norm_apply_cpu(const Tensor& x, const BnAffine& a, const Tensor& y, BnDims d);
void batch_norm_apply_cuda(const Tensor& x, const BnAffine& a, const Tensor& y, BnDims d);

// gy, x -> sum_g[c] = sum gy, sum_gxmu[c] = sum gy * (x - mean[c])   (gy masked by the ReLU)
void batch_norm_backward_reduce_cpu(const Tensor& gy, const Tensor& x, const BnAffine& a, const Tensor& sum_g,
                                    const Tensor& sum_gxmu, BnDims d);
void batch_norm_backward_reduce_cuda(const Tensor& gy, const Tensor& x, const BnAffine& a, const Tensor& sum_g,
                                     const Tensor& sum_gxmu, BnDims d);

// gx from gy (batch_norm_math.h); sum_g and sum_gxmu are read only when batch_stats is set
void batch_norm_backward_input_cpu(const Tensor& gy, const Tensor& x, const BnAffine& a, const Tensor& sum_g,
                                   const Tensor& sum_gxmu, const Tensor& gx, BnDims d, bool batch_stats);
void batch_norm_backward_input_cuda(const Tensor& gy, const Tensor& x, const BnAffine& a, const Tensor& sum_g,
                                    const Tensor& sum_gxmu, const Tensor& gx, BnDims d, bool batch_stats);

}  // namespace oc
