// The value of element i of linspace(start, end, n), shared by CPU and CUDA: the first half counts
// up from start and the second half down from end, so both end points are exact (as PyTorch).
#pragma once
#include <cstdint>

#include "core/hd.h"
#include "core/hd_rounding.h"

namespace oc {

OC_HD double linspace_value(int64_t i, int64_t n, double start, double end) {
  if (n == 1) return start;
  double step = (end - start) / static_cast<double>(n - 1);
  // Rounded op by op (core/hd_rounding.h): nvcc would fuse the multiply-add, an ulp off the CPU.
  return i < n / 2 ? add_rn(start, mul_rn(step, static_cast<double>(i)))
                   : sub_rn(end, mul_rn(step, static_cast<double>(n - 1 - i)));
}

}  // namespace oc
