// Batch normalization over the channel dim 1 of [N, C, ...] (float32 / float64), as PyTorch's
// F.batch_norm: statistics per channel over N and the spatial dims.
#pragma once
#include "core/tensor.h"

namespace oc {

// x [N, C] or [N, C, H, W] (any [N, C, ...]); weight, bias [C] (undefined: no affine);
// running_mean, running_var [C] (both undefined: batch statistics are always used).
// training: normalize with the batch mean and biased variance, and update the running buffers in
// place: r = (1 - momentum) r + momentum * batch_stat, with the unbiased batch variance for
// running_var (as PyTorch). Otherwise: normalize with the running statistics.
// y = (x - mean) / sqrt(var + eps) * weight + bias. Gradients flow to x, weight and bias; the
// running buffers are never recorded (they must not require grad).
Tensor batch_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& running_mean,
                  const Tensor& running_var, bool training, double momentum = 0.1, double eps = 1e-5);

// relu(batch_norm(...)) in one pass each way: the ReLU is applied as y is written, and the backward
// masks the gradient by y > 0 recomputed from x, so neither the normalized values nor a separate
// ReLU pass are stored or run. The same arguments and results as the composition.
Tensor batch_norm_relu(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& running_mean,
                       const Tensor& running_var, bool training, double momentum = 0.1, double eps = 1e-5);

}  // namespace oc
