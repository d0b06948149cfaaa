// Float and double overloads of the math functions the shared __host__ __device__ helpers use,
// resolving the same way in host code and in CUDA device code (one set for every kernel family).
#pragma once
#include <cmath>

#include "core/hd.h"

namespace oc {

OC_HD float hd_exp(float x) { return ::expf(x); }
OC_HD double hd_exp(double x) { return ::exp(x); }
OC_HD float hd_log(float x) { return ::logf(x); }
OC_HD double hd_log(double x) { return ::log(x); }
OC_HD float hd_sqrt(float x) { return ::sqrtf(x); }
OC_HD double hd_sqrt(double x) { return ::sqrt(x); }
OC_HD float hd_tanh(float x) { return ::tanhf(x); }
OC_HD double hd_tanh(double x) { return ::tanh(x); }
OC_HD float hd_pow(float x, float y) { return ::powf(x, y); }
OC_HD double hd_pow(double x, double y) { return ::pow(x, y); }
OC_HD float hd_floor(float x) { return ::floorf(x); }
OC_HD double hd_floor(double x) { return ::floor(x); }
OC_HD float hd_fmod(float x, float y) { return ::fmodf(x, y); }
OC_HD double hd_fmod(double x, double y) { return ::fmod(x, y); }
// Rounds half to even (the default floating-point rounding mode).
OC_HD float hd_round_half_even(float x) { return ::nearbyintf(x); }
OC_HD double hd_round_half_even(double x) { return ::nearbyint(x); }

}  // namespace oc
