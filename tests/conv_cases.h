// Conv test helpers shared by the CPU tests and the CUDA parity tests.
#pragma once
#include <string>

#include "kernels/conv/conv.h"

namespace oc::test {

// Square stride, padding and dilation.
inline Conv2dParams conv_params(int64_t stride, int64_t pad, int64_t dilation = 1, int64_t groups = 1) {
  Conv2dParams p;
  p.stride_h = p.stride_w = stride;
  p.pad_h = p.pad_w = pad;
  p.dilation_h = p.dilation_w = dilation;
  p.groups = groups;
  return p;
}

// A named conv2d configuration: input shape, weight shape, parameters.
struct ConvCase {
  std::string name;
  Shape x, w;
  Conv2dParams p;
};

}  // namespace oc::test
