// Fused in-place optimizer updates (SGD with momentum / Nesterov / weight decay; Adam and AdamW):
// one pass over each parameter that updates it and its state together. Not recorded by autograd.
// train/optim.h builds the optimizers on these.
#pragma once
#include <cstdint>

#include "core/tensor.h"

namespace oc {

struct SgdUpdate {
  double lr = 0, momentum = 0, weight_decay = 0;
  bool nesterov = false;
};
// torch.optim.SGD's update of one parameter (dampening 0):
//   d = grad + weight_decay param;  buf = momentum buf + d;  d = nesterov ? d + momentum buf : buf;
//   param -= lr d.
// momentum_buf is undefined when momentum is 0; zeros before the first step (that gives PyTorch's
// first-step buf = d exactly). param, grad and momentum_buf: one shape, float32 or float64, one device.
void sgd_update_(const Tensor& param, const Tensor& grad, const Tensor& momentum_buf, const SgdUpdate& u);

struct AdamUpdate {
  double lr = 0, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0;
  bool decoupled = false;  // AdamW
  int64_t step = 1;        // this update's number, from 1 (bias correction)
};
// torch.optim.Adam (decoupled: AdamW) update of one parameter:
//   AdamW: param *= 1 - lr weight_decay      Adam: grad += weight_decay param
//   m = beta1 m + (1 - beta1) grad;  v = beta2 v + (1 - beta2) grad^2
//   param -= lr / (1 - beta1^step) * m / (sqrt(v) / sqrt(1 - beta2^step) + eps)
void adam_update_(const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq,
                  const AdamUpdate& u);

}  // namespace oc
