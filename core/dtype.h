// Element types: float32 is the main one; float64 serves finite-difference tests; bfloat16 is storage only.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "core/hd.h"

namespace oc {

enum class DType : uint8_t { f32, f64, bf16, i32, i64, u8, b8 };

size_t dtype_size(DType t);
const char* dtype_name(DType t);  // "float32", "int64", ...
inline bool is_floating(DType t) { return t == DType::f32 || t == DType::f64 || t == DType::bf16; }

// bfloat16: the top 16 bits of a float32, rounded to nearest even on conversion.
struct bf16 {
  uint16_t bits;
};
OC_HD float bf16_to_float(bf16 v) {
  uint32_t u = static_cast<uint32_t>(v.bits) << 16;
  float f;
  memcpy(&f, &u, 4);
  return f;
}
OC_HD bf16 float_to_bf16(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) return bf16{static_cast<uint16_t>((u >> 16) | 0x40)};  // quiet NaN
  u += 0x7fffu + ((u >> 16) & 1u);
  return bf16{static_cast<uint16_t>(u >> 16)};
}

// C++ type -> DType tag.
template <class T> struct dtype_of;
template <> struct dtype_of<float> { static constexpr DType value = DType::f32; };
template <> struct dtype_of<double> { static constexpr DType value = DType::f64; };
template <> struct dtype_of<bf16> { static constexpr DType value = DType::bf16; };
template <> struct dtype_of<int32_t> { static constexpr DType value = DType::i32; };
template <> struct dtype_of<int64_t> { static constexpr DType value = DType::i64; };
template <> struct dtype_of<uint8_t> { static constexpr DType value = DType::u8; };
template <> struct dtype_of<bool> { static constexpr DType value = DType::b8; };

}  // namespace oc

// OC_DISPATCH_FLOAT(dtype, "op", [&]<class T>() {...}) style helpers are awkward in C++17 device code,
// so kernels use this macro: it defines scalar_t and runs the body for float32 or float64.
#define OC_DISPATCH_FLOATING(DT, NAME, ...)                                      \
  [&] {                                                                          \
    switch (DT) {                                                                \
      case ::oc::DType::f32: { using scalar_t = float; return __VA_ARGS__(); }    \
      case ::oc::DType::f64: { using scalar_t = double; return __VA_ARGS__(); }   \
      default:                                                                   \
        OC_FAIL(NAME, ": dtype ", ::oc::dtype_name(DT), " is not supported (float32 or float64 expected)"); \
    }                                                                            \
  }()

#define OC_DISPATCH_ALL(DT, NAME, ...)                                           \
  [&] {                                                                          \
    switch (DT) {                                                                \
      case ::oc::DType::f32: { using scalar_t = float; return __VA_ARGS__(); }    \
      case ::oc::DType::f64: { using scalar_t = double; return __VA_ARGS__(); }   \
      case ::oc::DType::bf16: { using scalar_t = ::oc::bf16; return __VA_ARGS__(); } \
      case ::oc::DType::i32: { using scalar_t = int32_t; return __VA_ARGS__(); }  \
      case ::oc::DType::i64: { using scalar_t = int64_t; return __VA_ARGS__(); }  \
      case ::oc::DType::u8: { using scalar_t = uint8_t; return __VA_ARGS__(); }   \
      case ::oc::DType::b8: { using scalar_t = bool; return __VA_ARGS__(); }      \
    }                                                                            \
    OC_FAIL(NAME, ": unknown dtype");                                            \
  }()
