// Front end of the fused optimizer updates: checks, contiguity, dispatch. The scalar coefficients
// (bias corrections, step size) are computed here in double, as torch.optim computes them in Python.
#include "kernels/optim/optim.h"

#include <cmath>

#include "core/autograd.h"
#include "kernels/common/checks.h"
#include "kernels/common/dispatch.h"
#include "kernels/copy/copy.h"
#include "kernels/optim/optim_kernels.h"

namespace oc {
namespace {

// `state` (a buffer the update writes) must match param exactly and be contiguous: it is ours.
void check_state(const char* op, const Tensor& param, const Tensor& state, const char* what) {
  OC_CHECK(state.defined(), op, ": ", what, " is undefined");
  OC_CHECK(state.shape() == param.shape() && state.dtype() == param.dtype() && state.device() == param.device(),
           op, ": ", what, " ", state.str(), " does not match the parameter ", param.str());
  OC_CHECK(state.is_contiguous(), op, ": ", what, " ", state.str(), " must be contiguous");
}

void check_param_grad(const char* op, const Tensor& param, const Tensor& grad) {
  OC_CHECK(param.defined(), op, ": parameter is undefined");
  OC_CHECK(grad.defined(), op, ": gradient is undefined");
  check_floating(op, param);
  OC_CHECK(grad.shape() == param.shape() && grad.dtype() == param.dtype() && grad.device() == param.device(), op,
           ": gradient ", grad.str(), " does not match the parameter ", param.str());
}

// Runs `update(p)` on a contiguous parameter: param itself, or a contiguous copy written back after.
template <class F>
void on_contiguous(const Tensor& param, F update) {
  if (param.is_contiguous()) {
    update(param);
    return;
  }
  Tensor p = contiguous(param.detach());
  update(p);
  copy_(param, p);
}

}  // namespace

void sgd_update_(const Tensor& param, const Tensor& grad, const Tensor& momentum_buf, const SgdUpdate& u) {
  const char* op = "sgd_update";
  NoGradGuard no_grad;
  check_param_grad(op, param, grad);
  OC_CHECK(u.momentum != 0 || !momentum_buf.defined(), op, ": momentum buffer given with momentum 0");
  OC_CHECK(u.momentum == 0 || momentum_buf.defined(), op, ": momentum ", u.momentum, " needs a momentum buffer");
  if (momentum_buf.defined()) check_state(op, param, momentum_buf, "momentum buffer");
  if (param.numel() == 0) return;
  Tensor g = contiguous(grad.detach());
  SgdCoeffs c{u.lr, u.momentum, u.weight_decay, u.nesterov};
  on_contiguous(param, [&](const Tensor& p) { OC_ON_DEVICE(p.device(), sgd_update, p, g, momentum_buf, c); });
}

void adam_update_(const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq,
                  const AdamUpdate& u) {
  const char* op = u.decoupled ? "adamw_update" : "adam_update";
  NoGradGuard no_grad;
  check_param_grad(op, param, grad);
  check_state(op, param, exp_avg, "exp_avg");
  check_state(op, param, exp_avg_sq, "exp_avg_sq");
  OC_CHECK(u.step >= 1, op, ": step must be >= 1, got ", u.step);
  if (param.numel() == 0) return;
  Tensor g = contiguous(grad.detach());
  // As torch.optim.Adam: bias_correction1 = 1 - beta1**step, step_size = lr / bias_correction1,
  // bias_correction2_sqrt = math.sqrt(1 - beta2**step), all in double.
  const double t = static_cast<double>(u.step);
  AdamCoeffs c;
  c.beta1 = u.beta1;
  c.beta2 = u.beta2;
  c.eps = u.eps;
  c.weight_decay = u.weight_decay;
  c.step_size = u.lr / (1 - std::pow(u.beta1, t));
  c.bias_correction2_sqrt = std::sqrt(1 - std::pow(u.beta2, t));
  c.decay = 1 - u.lr * u.weight_decay;
  c.decoupled = u.decoupled;
  on_contiguous(param, [&](const Tensor& p) {
    OC_ON_DEVICE(p.device(), adam_update, p, g, exp_avg, exp_avg_sq, c);
  });
}

}  // namespace oc
