// Optimizers over named parameters (SGD with momentum / Nesterov / weight decay, Adam, AdamW), built on
// the fused in-place updates of kernels/optim, and gradient clipping by global norm.
// The update math is torch.optim's (1.13); state() / load_state() resume a run exactly.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace oc {

struct NamedParam {
  std::string name;  // module path, e.g. "backbone.conv1.weight"
  Tensor param;
};

struct SgdOptions {
  double lr = 0.01, momentum = 0, weight_decay = 0;
  bool nesterov = false;  // needs momentum > 0
};

struct AdamOptions {
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0;
  bool decoupled = false;  // AdamW: p *= 1 - lr wd before the Adam step, instead of g += wd p
};

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // One update of every parameter that has a .grad() (others are skipped: neither they nor their
  // state change), in place, recording no graph. Counts one step even when no parameter had a grad.
  virtual void step() = 0;
  // Resets every parameter's grad (to undefined, as PyTorch's set_to_none).
  void zero_grad();
  void set_lr(double lr);  // finite and >= 0
  double lr() const { return lr_; }
  // Factors on lr per parameter, in params() order (train.lr_scale; each finite and >= 0): parameter
  // i steps with lr() x scales[i]. All 1 until set.
  void set_lr_scales(std::vector<double> scales);
  int64_t steps() const { return steps_; }  // step() calls so far
  const char* kind() const { return kind_; }  // "sgd", "adam" or "adamw"

  // Copies of the state tensors, one per parameter and kind, named "<param name>.<kind>":
  // SGD with momentum "momentum_buffer" (SGD without momentum has none); Adam / AdamW "exp_avg" and
  // "exp_avg_sq". Each has its parameter's shape, dtype (float32 for float32 parameters) and device.
  // Buffers start at zero, so the list is complete from the start (a zero momentum buffer gives
  // PyTorch's first step exactly).
  virtual std::vector<NamedParam> state() const = 0;
  // Restores state() and steps(): every expected name exactly once, no other names, the parameter's
  // shape, any floating dtype and device (copied in). Everything is checked before anything is
  // written; a problem is an oc::Error naming the entry.
  virtual void load_state(const std::vector<NamedParam>& state, int64_t steps) = 0;

  const std::vector<NamedParam>& params() const { return params_; }

 protected:
  // Checks the parameters: defined, float32 or float64, unique non-empty names.
  Optimizer(std::vector<NamedParam> params, double lr, const char* kind);
  // One kind of per-parameter state: (*buffers)[i] is "<params_[i].name>.<suffix>".
  struct StateKind {
    const char* suffix;
    const std::vector<Tensor>* buffers;  // written through copy_ (tensors are handles)
  };
  std::vector<NamedParam> state_of(const std::vector<StateKind>& kinds) const;
  void load_state_of(const std::vector<StateKind>& kinds, const std::vector<NamedParam>& state, int64_t steps);
  // Zero buffers shaped like each parameter.
  std::vector<Tensor> zero_buffers() const;

  // The learning rate of parameter i.
  double lr_of(size_t i) const { return lr_scales_.empty() ? lr_ : lr_ * lr_scales_[i]; }

  std::vector<NamedParam> params_;
  double lr_ = 0;
  std::vector<double> lr_scales_;  // empty: all 1
  int64_t steps_ = 0;
  const char* kind_;
};

// SGD as torch.optim.SGD (dampening 0): d = g + wd p; buf = momentum buf + d;
// d = nesterov ? d + momentum buf : buf; p -= lr d.
std::unique_ptr<Optimizer> make_sgd(std::vector<NamedParam> params, const SgdOptions& o);
// Adam as torch.optim.Adam, or AdamW (decoupled) as torch.optim.AdamW. Bias correction uses steps()+1,
// the optimizer's step count (PyTorch counts per parameter; the two differ only for parameters
// that had no grad in some steps).
std::unique_ptr<Optimizer> make_adam(std::vector<NamedParam> params, const AdamOptions& o);

// Scales every grad (params without one are skipped) by max_norm / (norm + 1e-6) when that is below 1,
// where norm is the L2 norm of all grads together (torch.nn.utils.clip_grad_norm_). Returns the norm
// before clipping (NaN or inf when a grad holds one; the grads are then scaled as PyTorch would).
double clip_grad_norm(const std::vector<NamedParam>& params, double max_norm);

}  // namespace oc
