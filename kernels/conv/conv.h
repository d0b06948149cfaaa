// 2-D convolution and transposed convolution (NCHW, PyTorch's weight layouts), with stride, padding,
// dilation and groups (depthwise included); differentiable in input, weight and bias.
#pragma once
#include <cstdint>

#include "core/tensor.h"

namespace oc {

struct Conv2dParams {
  int64_t stride_h = 1, stride_w = 1, pad_h = 0, pad_w = 0, dilation_h = 1, dilation_w = 1, groups = 1;
};

// x [N,C,H,W], w [K, C/groups, R, S], bias [K] or undefined Tensor() -> [N,K,Ho,Wo];
// Ho = (H + 2 pad_h - dilation_h (R-1) - 1) / stride_h + 1 (floor), likewise Wo.
Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor& bias, const Conv2dParams& p);

struct ConvTranspose2dParams {
  int64_t stride_h = 1, stride_w = 1, pad_h = 0, pad_w = 0, output_pad_h = 0, output_pad_w = 0,
          dilation_h = 1, dilation_w = 1, groups = 1;
};

// x [N,C,H,W], w [C, K/groups, R, S] (PyTorch's layout), bias [K] or undefined -> [N,K,Ho,Wo];
// Ho = (H-1) stride_h - 2 pad_h + dilation_h (R-1) + output_pad_h + 1. The gradient of conv2d with
// respect to its input: output_pad picks among the sizes that conv2d maps back to H (it must be
// smaller than stride or dilation, as in PyTorch).
Tensor conv_transpose2d(const Tensor& x, const Tensor& w, const Tensor& bias, const ConvTranspose2dParams& p);

// Output size helper used by shape inference in nets/ (throws naming the shapes when <= 0).
int64_t conv2d_out_size(int64_t in, int64_t kernel, int64_t stride, int64_t pad, int64_t dilation);

}  // namespace oc
