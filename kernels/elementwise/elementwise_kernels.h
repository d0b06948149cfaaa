// Device kernels behind the elementwise ops. The front end (elementwise.cpp) has checked dtypes
// and devices; `out` is contiguous with the result shape and every input is a view expanded to that
// shape (stride 0 where it broadcasts). Inputs and out share one dtype, except compare's bool out.
#pragma once
#include "core/tensor.h"
#include "kernels/elementwise/elementwise_math.h"

namespace oc {

void unary_cpu(UnaryOp op, const Tensor& out, const Tensor& a, EwParams p);
void binary_cpu(BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b, EwParams p);
void ternary_cpu(TernaryOp op, const Tensor& out, const Tensor& a, const Tensor& b, const Tensor& c, EwParams p);
void compare_cpu(CompareOp op, const Tensor& out, const Tensor& a, const Tensor& b);

void unary_cuda(UnaryOp op, const Tensor& out, const Tensor& a, EwParams p);
void binary_cuda(BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b, EwParams p);
void ternary_cuda(TernaryOp op, const Tensor& out, const Tensor& a, const Tensor& b, const Tensor& c, EwParams p);
void compare_cuda(CompareOp op, const Tensor& out, const Tensor& a, const Tensor& b);

}  // namespace oc
