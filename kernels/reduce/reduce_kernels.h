// Row reductions: in is contiguous [rows, cols], out is contiguous [rows]; the front end moved the
// reduced axes last. Arg ops write int64, the others in's dtype. cols may be 0 only for sum.
#pragma once
#include "core/tensor.h"

namespace oc {

enum class ReduceOp { sum, max, min, argmax, argmin };

void reduce_rows_cpu(ReduceOp op, const Tensor& in, const Tensor& out, int64_t rows, int64_t cols);
void reduce_rows_cuda(ReduceOp op, const Tensor& in, const Tensor& out, int64_t rows, int64_t cols);

}  // namespace oc
