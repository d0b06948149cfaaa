// Anchor kernels, _cpu and _cuda side by side: levels int64 [L, 6] (AnchorLevelGeom rows), bases
// float32 [sum A, 4], out [R, 4] (float32/64), all contiguous on the output's device; R > 0.
#pragma once
#include "core/tensor.h"
#include "kernels/anchors/anchors_math.h"

namespace oc {

void anchors_cpu(const Tensor& levels, const Tensor& bases, const Tensor& out);
void anchors_cuda(const Tensor& levels, const Tensor& bases, const Tensor& out);

}  // namespace oc
