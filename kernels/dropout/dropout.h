// Inverted dropout (float32 / float64, any shape): zero each element with probability p and scale
// the survivors by 1 / (1 - p), so the expected value is unchanged.
#pragma once
#include "core/tensor.h"
#include "kernels/random/random.h"

namespace oc {

// Identity (x itself) when !training or p == 0; zeros when p == 1. The mask comes from
// bernoulli(1 - p) on x's device, so one generator state gives the same mask on CPU and CUDA.
// gen: the default generator when null; it advances by one draw of x.numel() elements.
Tensor dropout(const Tensor& x, double p, bool training, Generator* gen = nullptr);

}  // namespace oc
