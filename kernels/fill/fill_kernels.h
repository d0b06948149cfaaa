// Device kernels that write tensors from scalars. `out` may be any strided view (fill) or is
// contiguous (arange, linspace); any dtype.
#pragma once
#include "core/tensor.h"

namespace oc {

void fill_cpu(const Tensor& out, double value);
void arange_cpu(const Tensor& out, double start, double step);
void linspace_cpu(const Tensor& out, double start, double end);

void fill_cuda(const Tensor& out, double value);
void arange_cuda(const Tensor& out, double start, double step);
void linspace_cuda(const Tensor& out, double start, double end);

}  // namespace oc
