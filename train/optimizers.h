// The optimizers a config may name (train.optimizer.type): each entry reads its keys and builds the
// optimizer of train/optim.h.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/registry.h"
#include "nets/config.h"
#include "train/experiment.h"
#include "train/optim.h"

namespace oc {

struct OptimizerKind {
  // Reads the optimizer's keys (besides "type") into s; returns its learning rate.
  std::function<double(ConfigObject& o, TrainSettings& s)> read;
  std::function<std::unique_ptr<Optimizer>(std::vector<NamedParam> params, const TrainSettings& s)> make;
};
const Registry<OptimizerKind>& optimizer_registry();

// The optimizer s.optimizer names, over `params`, with s.lr_scale's factors (errors name `source`).
std::unique_ptr<Optimizer> make_optimizer(const TrainSettings& s, std::vector<NamedParam> params,
                                          const std::string& source = "config");

// The factor of each parameter: that of the longest prefix in `scales` that is its whole name or
// ends where a '.' follows in it ("stn.head" covers "stn.head.weight", not "stn.header.weight"),
// else 1. A prefix that covers no parameter is an error naming train.lr_scale.<prefix>.
std::vector<double> lr_scales_for(const std::vector<NamedParam>& params,
                                  const std::vector<std::pair<std::string, double>>& scales,
                                  const std::string& source);

}  // namespace oc
