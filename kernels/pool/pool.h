// 2-D pooling on [N, C, H, W] (float32 / float64): max, average and adaptive average, as PyTorch's
// F.max_pool2d / F.avg_pool2d / F.adaptive_avg_pool2d (dilation 1).
#pragma once
#include <cstdint>

#include "core/tensor.h"

namespace oc {

struct Pool2dParams {
  int64_t kernel_h, kernel_w, stride_h, stride_w, pad_h = 0, pad_w = 0;
  bool ceil_mode = false;
};

// Output length along one axis, as PyTorch: floor (or ceil) of (in + 2 pad - kernel) / stride, plus 1;
// in ceil mode the last window must start inside the input or the left padding. May be < 1 (the
// ops refuse that); kernel and stride must be positive and pad non-negative.
int64_t pool2d_out_size(int64_t in, int64_t kernel, int64_t stride, int64_t pad, bool ceil_mode);

// [N, C, H, W] -> [N, C, Ho, Wo]. Padding counts as -infinity. The gradient goes to the first
// maximum of each window (a NaN wins, as in PyTorch); the argmax is saved in the forward pass.
Tensor max_pool2d(const Tensor& x, const Pool2dParams& p);
// [N, C, H, W] -> [N, C, Ho, Wo]. The divisor is the window clipped to the padded input
// (count_include_pad) or to the input itself (!count_include_pad).
Tensor avg_pool2d(const Tensor& x, const Pool2dParams& p, bool count_include_pad = true);
// [N, C, H, W] -> [N, C, out_h, out_w]. Output row i averages input rows
// [floor(i * H / out_h), ceil((i + 1) * H / out_h)), likewise for columns (PyTorch's bins).
Tensor adaptive_avg_pool2d(const Tensor& x, int64_t out_h, int64_t out_w);

}  // namespace oc
