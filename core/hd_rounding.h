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

// A value g++ may not fuse with the operation that made it or with the next one, on hosts compiled
// with FMA (the emulated .cu files): an empty asm makes it opaque. Elsewhere the identity.
template <class T>
inline T fp_opaque(T v) {
#if defined(__FMA__) && !defined(__CUDA_ARCH__)
  asm("" : "+x"(v));
#endif
  return v;
}

// NAME(a, b) = a OP b, rounded once: nvcc's intrinsic on the device, opaque operands and result on the host.
#if defined(__CUDA_ARCH__)
#define OC_RN_BINARY(NAME, T, OP, INTRINSIC) \
  OC_HD T NAME(T a, T b) { return INTRINSIC(a, b); }
#else
#define OC_RN_BINARY(NAME, T, OP, INTRINSIC) \
  OC_HD T NAME(T a, T b) { return fp_opaque(fp_opaque(a) OP fp_opaque(b)); }
#endif
OC_RN_BINARY(add_rn, float, +, __fadd_rn)
OC_RN_BINARY(sub_rn, float, -, __fsub_rn)
OC_RN_BINARY(mul_rn, float, *, __fmul_rn)
OC_RN_BINARY(div_rn, float, /, __fdiv_rn)
OC_RN_BINARY(add_rn, double, +, __dadd_rn)
OC_RN_BINARY(sub_rn, double, -, __dsub_rn)
OC_RN_BINARY(mul_rn, double, *, __dmul_rn)
OC_RN_BINARY(div_rn, double, /, __ddiv_rn)
#undef OC_RN_BINARY

OC_HD float sqrt_rn(float a) {
#if defined(__CUDA_ARCH__)
  return __fsqrt_rn(a);
#else
  return fp_opaque(std::sqrt(a));
#endif
}
OC_HD double sqrt_rn(double a) {
#if defined(__CUDA_ARCH__)
  return __dsqrt_rn(a);
#else
  return fp_opaque(std::sqrt(a));
#endif
}

}  // namespace oc
