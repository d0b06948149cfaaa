// matmul with NumPy semantics: 1-D operands are promoted (and the added dim removed), leading batch
// dims broadcast. [..., M, K] x [..., K, N] -> [..., M, N].
#pragma once
#include "core/tensor.h"

namespace oc {

Tensor matmul(const Tensor& a, const Tensor& b);

}  // namespace oc
