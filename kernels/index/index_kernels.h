// Device kernels for gather / scatter_add. All operands are views with index's shape: `src_or_out`
// is t restrided so that its `dim` stride is 0 (the kernel adds index * dim_stride), checked
// bounds 0 <= index < dim_size; a bad index is reported as an error naming it.
#pragma once
#include "core/tensor.h"

namespace oc {

// out[i] = t[i with dim replaced by index[i]]
void gather_cpu(const Tensor& out, const Tensor& t_view, const Tensor& index, int64_t dim_stride, int64_t dim_size);
// acc[i with dim replaced by index[i]] += src[i]
void scatter_add_cpu(const Tensor& acc_view, const Tensor& index, const Tensor& src, int64_t dim_stride,
                     int64_t dim_size);

void gather_cuda(const Tensor& out, const Tensor& t_view, const Tensor& index, int64_t dim_stride, int64_t dim_size);
void scatter_add_cuda(const Tensor& acc_view, const Tensor& index, const Tensor& src, int64_t dim_stride,
                      int64_t dim_size);

}  // namespace oc
