// The optimizer registry (see optimizers.h).
#include "train/optimizers.h"

namespace oc {
namespace {

double read_sgd(ConfigObject& o, TrainSettings& s) {
  s.sgd.lr = o.get_double("lr", 0.01);
  s.sgd.momentum = o.get_double("momentum", 0);
  s.sgd.nesterov = o.get_bool("nesterov", false);
  s.sgd.weight_decay = o.get_double("weight_decay", 0);
  return s.sgd.lr;
}

// decoupled: AdamW, whose weight decay defaults to 0.01.
double read_adam(ConfigObject& o, TrainSettings& s, bool decoupled) {
  s.adam.lr = o.get_double("lr", 1e-3);
  s.adam.beta1 = o.get_double("beta1", 0.9);
  s.adam.beta2 = o.get_double("beta2", 0.999);
  s.adam.eps = o.get_double("eps", 1e-8);
  s.adam.weight_decay = o.get_double("weight_decay", decoupled ? 0.01 : 0);
  s.adam.decoupled = decoupled;
  return s.adam.lr;
}

std::unique_ptr<Optimizer> sgd(std::vector<NamedParam> params, const TrainSettings& s) {
  return make_sgd(std::move(params), s.sgd);
}

std::unique_ptr<Optimizer> adam(std::vector<NamedParam> params, const TrainSettings& s) {
  return make_adam(std::move(params), s.adam);
}

}  // namespace

const Registry<OptimizerKind>& optimizer_registry() {
  static const Registry<OptimizerKind> r = [] {
    Registry<OptimizerKind> r("optimizer");
    r.add("sgd", {"lr", "momentum", "nesterov", "weight_decay"},
          {read_sgd, sgd});
    r.add("adam", {"lr", "beta1", "beta2", "eps", "weight_decay"},
          {[](ConfigObject& o, TrainSettings& s) { return read_adam(o, s, false); }, adam});
    r.add("adamw", {"lr", "beta1", "beta2", "eps", "weight_decay"},
          {[](ConfigObject& o, TrainSettings& s) { return read_adam(o, s, true); }, adam});
    return r;
  }();
  return r;
}

std::unique_ptr<Optimizer> make_optimizer(const TrainSettings& s, std::vector<NamedParam> params,
                                          const std::string& source) {
  std::unique_ptr<Optimizer> o =
      optimizer_registry().at(s.optimizer, "train.optimizer.type").factory.make(std::move(params), s);
  if (!s.lr_scale.empty()) o->set_lr_scales(lr_scales_for(o->params(), s.lr_scale, source));
  return o;
}

std::vector<double> lr_scales_for(const std::vector<NamedParam>& params,
                                  const std::vector<std::pair<std::string, double>>& scales,
                                  const std::string& source) {
  auto covers = [](const std::string& prefix, const std::string& name) {
    return name.compare(0, prefix.size(), prefix) == 0 && (name.size() == prefix.size() || name[prefix.size()] == '.');
  };
  std::vector<double> out(params.size(), 1.0);
  std::vector<size_t> best(params.size(), 0);  // length of the prefix that set out[i]
  for (const auto& [prefix, factor] : scales) {
    bool used = false;
    for (size_t i = 0; i < params.size(); ++i) {
      if (!covers(prefix, params[i].name)) continue;
      used = true;
      if (prefix.size() < best[i]) continue;
      best[i] = prefix.size();
      out[i] = factor;
    }
    OC_CHECK(used, source, ": train.lr_scale.", prefix, ": names no trained parameter (they are named like \"",
             params.empty() ? std::string("layer.weight") : params.front().name, "\")");
  }
  return out;
}

}  // namespace oc
