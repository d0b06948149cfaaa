// Bit-for-bit equality of two tensors on any devices (the fused optimizer updates round op by op,
// so CPU, CUDA and a plain float loop agree exactly).
#pragma once
#include <cstring>

#include "kernels/ops.h"

namespace oc::test {

inline bool bit_equal(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape() || a.dtype() != b.dtype()) return false;
  Tensor ca = contiguous(to(a, Device::cpu())), cb = contiguous(to(b, Device::cpu()));
  return std::memcmp(ca.raw_data(), cb.raw_data(), ca.numel() * dtype_size(ca.dtype())) == 0;
}

}  // namespace oc::test
