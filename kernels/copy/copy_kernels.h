// The strided copy-with-cast kernel behind every copying op: dst[i] = cast(src[i]) for two views of
// one shape on one device, any strides, any dtypes.
#pragma once
#include <cstddef>

#include "core/tensor.h"

namespace oc {

void copy_cpu(const Tensor& dst, const Tensor& src);
void copy_cuda(const Tensor& dst, const Tensor& src);
// Contiguous bytes between host and device (or device and device).
void memcpy_across_devices(void* dst, Device dst_device, const void* src, Device src_device, size_t nbytes);

}  // namespace oc
