// Device kernels of the fused optimizer updates: one pass per parameter, in place, no autograd.
// The front end (optim.cpp) has checked that every tensor is contiguous, of one floating dtype
// (float32 or float64) and on one device, with n = param.numel() elements each.
#pragma once
#include "core/tensor.h"
#include "kernels/optim/optim_math.h"

namespace oc {

// param [n], grad [n], momentum_buf [n] or undefined (momentum 0): sgd_element on each.
void sgd_update_cpu(const Tensor& param, const Tensor& grad, const Tensor& momentum_buf, const SgdCoeffs& c);
// param, grad, exp_avg, exp_avg_sq [n]: adam_element on each.
void adam_update_cpu(const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq,
                     const AdamCoeffs& c);

void sgd_update_cuda(const Tensor& param, const Tensor& grad, const Tensor& momentum_buf, const SgdCoeffs& c);
void adam_update_cuda(const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq,
                      const AdamCoeffs& c);

}  // namespace oc
