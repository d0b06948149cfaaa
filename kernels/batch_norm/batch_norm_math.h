// Per-element batch-norm math, written once for the CPU reference and the CUDA kernels. Per channel
// c the front end has the mean and invstd = 1 / sqrt(var + eps); the backward pass has the channel
// sums sum_g = sum(g) and sum_gxmu = sum(g * (x - mean)) over the n = N * S values of c.
//
//   forward:   y  = (x - mean) * (invstd * w) + b            (x - mean first: no cancellation when
//                                                             |mean| >> std)
//   backward with batch statistics (mean and var depend on x), xhat = (x - mean) * invstd:
//              dx = w * invstd * (g - sum_g / n - xhat * sum(g * xhat) / n)
//                 = (g - mean_g - (x - mean) * proj) * scale,
//              mean_g = sum_g / n,  proj = invstd^2 * sum_gxmu / n,  scale = w * invstd
//   backward with running statistics (constants): dx = g * scale   (mean_g = proj = 0)
//   dw = sum_gxmu * invstd,  db = sum_g                           (in the front end, on [C])
// With the ReLU fused (batch_norm_relu), y = max(bn(x), 0) and every g above is first masked by
// bn(x) > 0, recomputed from x by the forward's own expression (bn_scale, bn_normalize), so the
// mask is the forward's bit for bit and y need not be kept.
#pragma once
#include "core/hd.h"

namespace oc {

// Per-channel coefficients of the input gradient (inv_n = 1 / n, computed once by the caller).
template <class T>
struct BnGradCoeffs {
  T mean_g, proj, scale;
};

template <class T>
OC_HD BnGradCoeffs<T> bn_grad_coeffs(double sum_g, double sum_gxmu, T invstd, T weight, double inv_n,
                                     bool batch_stats) {
  BnGradCoeffs<T> c;
  c.scale = weight * invstd;
  c.mean_g = batch_stats ? static_cast<T>(sum_g * inv_n) : T(0);
  c.proj = batch_stats ? static_cast<T>(static_cast<double>(invstd) * static_cast<double>(invstd) * sum_gxmu * inv_n)
                       : T(0);
  return c;
}

template <class T>
OC_HD T bn_normalize(T x, T mean, T scale, T bias) {
  return (x - mean) * scale + bias;
}

// The scale of channel c in bn_normalize (weight may be absent: 1).
template <class T>
OC_HD T bn_scale(const T* invstd, const T* weight, int64_t c) {
  return invstd[c] * (weight ? weight[c] : T(1));
}

// The fused ReLU (as the relu op: NaN gives 0) and the gradient it lets through.
template <class T>
OC_HD T bn_relu(T y) {
  return y > T(0) ? y : T(0);
}
template <class T>
OC_HD T bn_relu_grad(T g, T x, T mean, T scale, T bias) {
  return bn_normalize(x, mean, scale, bias) > T(0) ? g : T(0);
}

template <class T>
OC_HD T bn_input_grad(T g, T x, T mean, const BnGradCoeffs<T>& c) {
  return (g - c.mean_g - (x - mean) * c.proj) * c.scale;
}

}  // namespace oc
