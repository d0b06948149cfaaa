// Row softmax: in and out are contiguous [rows, cols] (the front end moved the axis last).
#pragma once
#include "core/tensor.h"

namespace oc {

void softmax_rows_cpu(const Tensor& in, const Tensor& out, int64_t rows, int64_t cols, bool log);
void softmax_rows_cuda(const Tensor& in, const Tensor& out, int64_t rows, int64_t cols, bool log);

}  // namespace oc
