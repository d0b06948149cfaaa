// Arithmetic rounded once per operation on both devices: nvcc contracts a * b + c into one fused
// multiply-add unless told not to (the _rn intrinsics), which moves results by an ulp; where CPU and
// CUDA must take the same decision at a tie (a threshold, a floor, a rounding) or give identical bits
// (the optimizers), the expression is written with these. The CPU build cannot contract: it targets
// plain x86-64 (no -march), which has no FMA instruction. The emulation build compiles the .cu files
// with FMA and contraction on (CMakeLists.txt), so a missing _rn shows there as on a GPU.
#pragma once
#include <cmath>

#include "core/hd.h"

namespace oc {

#if !defined(__CUDA_ARCH__) && defined(__FMA__)
// Host code compiled with FMA (the emulated .cu files): an empty asm makes a value opaque, so g++
// cannot fuse the operation that made it with the next one.
template <class T>
inline T hd_rounded(T v) {
  asm("" : "+x"(v));
  return v;
}
#endif

OC_HD float mul_rn(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fmul_rn(a, b);
#elif defined(__FMA__)
  return hd_rounded(hd_rounded(a) * hd_rounded(b));
#else
  return a * b;
#endif
}
OC_HD float add_rn(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fadd_rn(a, b);
#elif defined(__FMA__)
  return hd_rounded(hd_rounded(a) + hd_rounded(b));
#else
  return a + b;
#endif
}
OC_HD float div_rn(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fdiv_rn(a, b);
#elif defined(__FMA__)
  return hd_rounded(hd_rounded(a) / hd_rounded(b));
#else
  return a / b;
#endif
}
OC_HD float sqrt_rn(float a) {
#if defined(__CUDA_ARCH__)
  return __fsqrt_rn(a);
#else
  return std::sqrt(a);
#endif
}
OC_HD double mul_rn(double a, double b) {
#if defined(__CUDA_ARCH__)
  return __dmul_rn(a, b);
#elif defined(__FMA__)
  return hd_rounded(hd_rounded(a) * hd_rounded(b));
#else
  return a * b;
#endif
}
OC_HD double add_rn(double a, double b) {
#if defined(__CUDA_ARCH__)
  return __dadd_rn(a, b);
#elif defined(__FMA__)
  return hd_rounded(hd_rounded(a) + hd_rounded(b));
#else
  return a + b;
#endif
}
OC_HD double div_rn(double a, double b) {
#if defined(__CUDA_ARCH__)
  return __ddiv_rn(a, b);
#elif defined(__FMA__)
  return hd_rounded(hd_rounded(a) / hd_rounded(b));
#else
  return a / b;
#endif
}
OC_HD double sqrt_rn(double a) {
#if defined(__CUDA_ARCH__)
  return __dsqrt_rn(a);
#else
  return std::sqrt(a);
#endif
}

OC_HD float sub_rn(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fsub_rn(a, b);
#elif defined(__FMA__)
  return hd_rounded(hd_rounded(a) - hd_rounded(b));
#else
  return a - b;
#endif
}
OC_HD double sub_rn(double a, double b) {
#if defined(__CUDA_ARCH__)
  return __dsub_rn(a, b);
#elif defined(__FMA__)
  return hd_rounded(hd_rounded(a) - hd_rounded(b));
#else
  return a - b;
#endif
}

}  // namespace oc
