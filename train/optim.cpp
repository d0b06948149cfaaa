// SGD, Adam and AdamW over named parameters (the per-parameter update is one fused kernel call,
// kernels/optim), their state for checkpoints, and clip_grad_norm.
#include "train/optim.h"

#include <cmath>
#include <map>

#include "kernels/ops.h"
#include "kernels/optim/optim.h"

namespace oc {

Optimizer::Optimizer(std::vector<NamedParam> params, double lr, const char* kind)
    : params_(std::move(params)), kind_(kind) {
  std::map<std::string, size_t> seen;
  for (size_t i = 0; i < params_.size(); ++i) {
    const NamedParam& p = params_[i];
    OC_CHECK(!p.name.empty(), kind_, ": parameter ", i, " has an empty name");
    OC_CHECK(p.param.defined(), kind_, ": parameter \"", p.name, "\" is undefined");
    OC_CHECK(p.param.dtype() == DType::f32 || p.param.dtype() == DType::f64, kind_, ": parameter \"", p.name,
             "\" is ", p.param.str(), "; float32 or float64 expected");
    auto [it, fresh] = seen.emplace(p.name, i);
    OC_CHECK(fresh, kind_, ": parameters ", it->second, " and ", i, " are both named \"", p.name, "\"");
  }
  set_lr(lr);
}

void Optimizer::zero_grad() {
  for (NamedParam& p : params_) p.param.zero_grad();
}

void Optimizer::set_lr_scales(std::vector<double> scales) {
  OC_CHECK(scales.size() == params_.size(), kind_, ": ", scales.size(), " learning-rate scales for ", params_.size(),
           " parameters");
  for (size_t i = 0; i < scales.size(); ++i)
    OC_CHECK(std::isfinite(scales[i]) && scales[i] >= 0, kind_, ": the learning-rate scale of ", params_[i].name,
             " must be finite and >= 0, got ", scales[i]);
  lr_scales_ = std::move(scales);
}

void Optimizer::set_lr(double lr) {
  OC_CHECK(std::isfinite(lr) && lr >= 0, kind_, ": learning rate must be finite and >= 0, got ", lr);
  lr_ = lr;
}

std::vector<Tensor> Optimizer::zero_buffers() const {
  std::vector<Tensor> out;
  for (const NamedParam& p : params_) out.push_back(zeros(p.param.shape(), p.param.dtype(), p.param.device()));
  return out;
}

std::vector<NamedParam> Optimizer::state_of(const std::vector<StateKind>& kinds) const {
  NoGradGuard no_grad;
  std::vector<NamedParam> out;
  for (const StateKind& k : kinds)
    for (size_t i = 0; i < params_.size(); ++i)
      out.push_back({params_[i].name + "." + k.suffix, clone((*k.buffers)[i])});
  return out;
}

void Optimizer::load_state_of(const std::vector<StateKind>& kinds, const std::vector<NamedParam>& state,
                              int64_t steps) {
  NoGradGuard no_grad;
  OC_CHECK(steps >= 0, kind_, " load_state: steps must be >= 0, got ", steps);
  std::map<std::string, const Tensor*> given;
  for (const NamedParam& e : state)
    OC_CHECK(given.emplace(e.name, &e.param).second, kind_, " load_state: entry \"", e.name, "\" appears twice");
  std::vector<std::pair<const Tensor*, const Tensor*>> copies;  // (given, ours)
  for (const StateKind& k : kinds) {
    for (size_t i = 0; i < params_.size(); ++i) {
      const std::string name = params_[i].name + "." + k.suffix;
      auto it = given.find(name);
      OC_CHECK(it != given.end(), kind_, " load_state: entry \"", name, "\" is missing");
      const Tensor& t = *it->second;
      OC_CHECK(t.defined(), kind_, " load_state: entry \"", name, "\" is undefined");
      OC_CHECK(t.shape() == params_[i].param.shape(), kind_, " load_state: entry \"", name, "\" has shape ",
               shape_str(t.shape()), " but parameter \"", params_[i].name, "\" is ",
               shape_str(params_[i].param.shape()));
      OC_CHECK(t.dtype() == DType::f32 || t.dtype() == DType::f64, kind_, " load_state: entry \"", name, "\" is ",
               t.str(), "; float32 or float64 expected");
      copies.push_back({&t, &(*k.buffers)[i]});
      given.erase(it);
    }
  }
  if (!given.empty()) {
    std::string expected = kinds.empty() ? std::string("none (") + kind_ + " without momentum keeps no state)"
                                          : std::string("\"<parameter name>.") + kinds[0].suffix + "\", ...";
    OC_FAIL(kind_, " load_state: unknown entry \"", given.begin()->first, "\" (expected ", expected, ")");
  }
  for (auto& [src, dst] : copies) copy_(*dst, *src);
  steps_ = steps;
}

namespace {

class Sgd final : public Optimizer {
 public:
  Sgd(std::vector<NamedParam> params, const SgdOptions& o) : Optimizer(std::move(params), o.lr, "sgd"), o_(o) {
    OC_CHECK(std::isfinite(o.momentum) && o.momentum >= 0, "sgd: momentum must be finite and >= 0, got ", o.momentum);
    OC_CHECK(std::isfinite(o.weight_decay) && o.weight_decay >= 0, "sgd: weight_decay must be finite and >= 0, got ",
             o.weight_decay);
    OC_CHECK(!o.nesterov || o.momentum > 0, "sgd: nesterov needs momentum > 0");
    if (o.momentum != 0) momentum_ = zero_buffers();
  }

  void step() override {
    NoGradGuard no_grad;
    SgdUpdate u{lr_, o_.momentum, o_.weight_decay, o_.nesterov};
    for (size_t i = 0; i < params_.size(); ++i) {
      const Tensor& p = params_[i].param;
      Tensor g = p.grad();
      if (!g.defined()) continue;
      u.lr = lr_of(i);
      sgd_update_(p, g, momentum_.empty() ? Tensor() : momentum_[i], u);
    }
    ++steps_;
  }

  std::vector<NamedParam> state() const override { return state_of(kinds()); }
  void load_state(const std::vector<NamedParam>& state, int64_t steps) override {
    load_state_of(kinds(), state, steps);
  }

 private:
  std::vector<StateKind> kinds() const {
    if (momentum_.empty()) return {};
    return {{"momentum_buffer", &momentum_}};
  }

  SgdOptions o_;
  std::vector<Tensor> momentum_;  // empty when momentum is 0
};

class Adam final : public Optimizer {
 public:
  Adam(std::vector<NamedParam> params, const AdamOptions& o)
      : Optimizer(std::move(params), o.lr, o.decoupled ? "adamw" : "adam"), o_(o) {
    OC_CHECK(o.beta1 >= 0 && o.beta1 < 1, kind_, ": beta1 must be in [0, 1), got ", o.beta1);
    OC_CHECK(o.beta2 >= 0 && o.beta2 < 1, kind_, ": beta2 must be in [0, 1), got ", o.beta2);
    OC_CHECK(std::isfinite(o.eps) && o.eps >= 0, kind_, ": eps must be finite and >= 0, got ", o.eps);
    OC_CHECK(std::isfinite(o.weight_decay) && o.weight_decay >= 0, kind_,
             ": weight_decay must be finite and >= 0, got ", o.weight_decay);
    exp_avg_ = zero_buffers();
    exp_avg_sq_ = zero_buffers();
  }

  void step() override {
    NoGradGuard no_grad;
    AdamUpdate u{lr_, o_.beta1, o_.beta2, o_.eps, o_.weight_decay, o_.decoupled, steps_ + 1};
    for (size_t i = 0; i < params_.size(); ++i) {
      const Tensor& p = params_[i].param;
      Tensor g = p.grad();
      if (!g.defined()) continue;
      u.lr = lr_of(i);
      adam_update_(p, g, exp_avg_[i], exp_avg_sq_[i], u);
    }
    ++steps_;
  }

  std::vector<NamedParam> state() const override { return state_of(kinds()); }
  void load_state(const std::vector<NamedParam>& state, int64_t steps) override {
    load_state_of(kinds(), state, steps);
  }

 private:
  std::vector<StateKind> kinds() const {
    return {{"exp_avg", &exp_avg_},
            {"exp_avg_sq", &exp_avg_sq_}};
  }

  AdamOptions o_;
  std::vector<Tensor> exp_avg_, exp_avg_sq_;
};

}  // namespace

std::unique_ptr<Optimizer> make_sgd(std::vector<NamedParam> params, const SgdOptions& o) {
  return std::make_unique<Sgd>(std::move(params), o);
}

std::unique_ptr<Optimizer> make_adam(std::vector<NamedParam> params, const AdamOptions& o) {
  return std::make_unique<Adam>(std::move(params), o);
}

double clip_grad_norm(const std::vector<NamedParam>& params, double max_norm) {
  OC_CHECK(std::isfinite(max_norm) && max_norm > 0, "clip_grad_norm: max_norm must be finite and > 0, got ",
           max_norm);
  NoGradGuard no_grad;
  // Sum of squares per grad, gathered per device and read back once per device (one sync each).
  std::vector<std::pair<Device, std::vector<Tensor>>> per_device;
  for (const NamedParam& p : params) {
    Tensor g = p.param.grad();
    if (!g.defined()) continue;
    OC_CHECK(g.dtype() == DType::f32 || g.dtype() == DType::f64, "clip_grad_norm: the grad of \"", p.name, "\" is ",
             g.str(), "; float32 or float64 expected");
    Tensor sq = to(sum(mul(g, g)), DType::f64);
    auto it = per_device.begin();
    while (it != per_device.end() && it->first != g.device()) ++it;
    if (it == per_device.end()) it = per_device.insert(per_device.end(), {g.device(), {}});
    it->second.push_back(reshape(sq, {1}));
  }
  double total_sq = 0;
  for (auto& [device, parts] : per_device) total_sq += item<double>(sum(cat(parts, 0)));
  const double norm = std::sqrt(total_sq);
  // torch.nn.utils.clip_grad_norm_: coef = max_norm / (norm + 1e-6), clamped to at most 1
  // (NaN stays NaN, so a NaN norm poisons the grads there too).
  const double coef = max_norm / (norm + 1e-6);
  if (!(coef >= 1)) {
    for (const NamedParam& p : params) {
      Tensor g = p.param.grad();
      Tensor param = p.param;
      if (g.defined()) param.set_grad(mul(g, coef));
    }
  }
  return norm;
}

}  // namespace oc
