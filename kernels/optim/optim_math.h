// The per-element update math of the fused optimizer kernels, written once for the CPU and CUDA.
// Every operation rounds once, in PyTorch's order (torch.optim 1.13, single-tensor path): on the
// device the _rn intrinsics (core/hd_rounding.h) keep nvcc from contracting a*b+c into an FMA, so CPU
// and CUDA updates are bit-identical.
#pragma once
#include <cmath>

#include "core/hd.h"
#include "core/hd_rounding.h"

namespace oc {

// Host-computed scalars of one SGD step (doubles; each kernel casts them to its element type once,
// as PyTorch casts a Python float `alpha` to the tensor's type).
struct SgdCoeffs {
  double lr = 0, momentum = 0, weight_decay = 0;
  bool nesterov = false;
};

// Host-computed scalars of one Adam / AdamW step t (counted from 1):
//   step_size = lr / (1 - beta1^t), bias_correction2_sqrt = sqrt(1 - beta2^t), decay = 1 - lr * wd.
struct AdamCoeffs {
  double beta1 = 0, beta2 = 0, eps = 0, weight_decay = 0;
  double step_size = 0, bias_correction2_sqrt = 1, decay = 1;
  bool decoupled = false;
};

template <class T>
struct SgdScalars {
  T neg_lr, momentum, weight_decay;
  bool use_momentum, use_weight_decay, nesterov;
  explicit SgdScalars(const SgdCoeffs& c)
      : neg_lr(static_cast<T>(-c.lr)), momentum(static_cast<T>(c.momentum)),
        weight_decay(static_cast<T>(c.weight_decay)), use_momentum(c.momentum != 0),
        use_weight_decay(c.weight_decay != 0), nesterov(c.nesterov) {}
};

// One SGD element, torch.optim.SGD (dampening 0):
//   d = g + wd p;  buf = momentum buf + d;  d = nesterov ? d + momentum buf : buf;  p = p - lr d
// (buf starts at 0, so the first step gives buf = d exactly, PyTorch's clone of d).
template <class T>
OC_HD void sgd_element(T& p, T g, T* buf, const SgdScalars<T>& s) {
  T d = s.use_weight_decay ? add_rn(g, mul_rn(s.weight_decay, p)) : g;
  if (s.use_momentum) {
    T b = add_rn(mul_rn(*buf, s.momentum), d);
    *buf = b;
    d = s.nesterov ? add_rn(d, mul_rn(s.momentum, b)) : b;
  }
  p = add_rn(p, mul_rn(s.neg_lr, d));
}

template <class T>
struct AdamScalars {
  T beta1, one_minus_beta1, beta2, one_minus_beta2, eps, weight_decay, neg_step_size, bias_correction2_sqrt, decay;
  bool coupled_decay, decoupled_decay;
  explicit AdamScalars(const AdamCoeffs& c)
      : beta1(static_cast<T>(c.beta1)), one_minus_beta1(static_cast<T>(1 - c.beta1)), beta2(static_cast<T>(c.beta2)),
        one_minus_beta2(static_cast<T>(1 - c.beta2)), eps(static_cast<T>(c.eps)),
        weight_decay(static_cast<T>(c.weight_decay)), neg_step_size(static_cast<T>(-c.step_size)),
        bias_correction2_sqrt(static_cast<T>(c.bias_correction2_sqrt)), decay(static_cast<T>(c.decay)),
        coupled_decay(!c.decoupled && c.weight_decay != 0), decoupled_decay(c.decoupled) {}
};

// One Adam / AdamW element, torch.optim.Adam / AdamW:
//   AdamW: p = p (1 - lr wd)        Adam: g = g + wd p
//   m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g g
//   p = p - step_size m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
template <class T>
OC_HD void adam_element(T& p, T g, T& m, T& v, const AdamScalars<T>& s) {
  if (s.decoupled_decay) p = mul_rn(p, s.decay);
  if (s.coupled_decay) g = add_rn(g, mul_rn(s.weight_decay, p));
  m = add_rn(mul_rn(m, s.beta1), mul_rn(s.one_minus_beta1, g));
  v = add_rn(mul_rn(v, s.beta2), mul_rn(mul_rn(s.one_minus_beta2, g), g));
  T denom = add_rn(div_rn(sqrt_rn(v), s.bias_correction2_sqrt), s.eps);
  p = add_rn(p, div_rn(mul_rn(s.neg_step_size, m), denom));
}

}  // namespace oc
