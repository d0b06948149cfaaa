// Batched GEMM on 3-D views: a [B,M,K], b [B,K,N] -> c [B,M,N] (c contiguous, written, not
// accumulated). Each of a and b has unit stride in one of its two matrix dims (the front end
// copies otherwise); batch strides may be 0 (broadcast).
#pragma once
#include "core/tensor.h"

namespace oc {

void gemm_batched_cpu(const Tensor& a, const Tensor& b, const Tensor& c);
void gemm_batched_cuda(const Tensor& a, const Tensor& b, const Tensor& c);

}  // namespace oc
