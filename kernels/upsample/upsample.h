// 2-D upsampling (resizing) of [N, C, H, W] (float32 / float64) to [N, C, out_h, out_w], as
// PyTorch's F.interpolate with mode 'nearest' and 'bilinear' given an output size.
#pragma once
#include <cstdint>

#include "core/tensor.h"

namespace oc {

// out[i] = in[min(floor(i * (in_size / out_size)), in_size - 1)] along each axis, the scale
// computed in float32 as PyTorch does (its legacy 'nearest', not 'nearest-exact').
Tensor upsample_nearest2d(const Tensor& x, int64_t out_h, int64_t out_w);
// Bilinear interpolation. align_corners: the corner pixels' centres of input and output coincide;
// otherwise the pixel areas do (half-pixel centres, sources left of pixel 0 clamped to it).
Tensor upsample_bilinear2d(const Tensor& x, int64_t out_h, int64_t out_w, bool align_corners);

}  // namespace oc
