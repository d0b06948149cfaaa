// Fills a contiguous float32/float64 tensor with draw `kind` from the Philox stream.
#pragma once
#include "core/tensor.h"
#include "kernels/random/philox.h"

namespace oc {

void random_fill_cpu(const Tensor& out, RandomKind kind, double a, double b, uint64_t seed, uint64_t offset);
void random_fill_cuda(const Tensor& out, RandomKind kind, double a, double b, uint64_t seed, uint64_t offset);

}  // namespace oc
