// Conversion between any two element types, shared by CPU and CUDA kernels.
// bfloat16 goes through float32; conversion to bool means "nonzero"; floating to integer truncates,
// saturates out of range and maps NaN to 0 on both devices (a plain cast is undefined there: x86
// gives the lowest value, CUDA saturates).
#pragma once
#include <limits>
#include <type_traits>

#include "core/dtype.h"
#include "core/hd.h"

namespace oc {

template <class To, class From>
OC_HD To cast_value(From v) {
  if constexpr (std::is_same_v<From, bf16>) {
    return cast_value<To>(bf16_to_float(v));
  } else if constexpr (std::is_same_v<To, bf16>) {
    return float_to_bf16(static_cast<float>(v));
  } else if constexpr (std::is_same_v<To, bool>) {
    return v != From(0);
  } else if constexpr (std::is_integral_v<To> && std::is_floating_point_v<From>) {
    constexpr To lo = std::numeric_limits<To>::lowest(), hi = std::numeric_limits<To>::max();
    if (!(v == v)) return To(0);
    if (v <= static_cast<From>(lo)) return lo;
    if (v >= static_cast<From>(hi)) return hi;  // hi rounds up to a power of two: v below it fits
    return static_cast<To>(v);
  } else {
    return static_cast<To>(v);
  }
}

}  // namespace oc
