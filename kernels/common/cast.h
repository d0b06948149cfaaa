// Conversion between any two element types, shared by CPU and CUDA copy kernels.
// bfloat16 goes through float32; conversion to bool means "nonzero".
#pragma once
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
  } else {
    return static_cast<To>(v);
  }
}

}  // namespace oc
