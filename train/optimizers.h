// The optimizers a config may name (train.optimizer.type): each entry reads its keys and builds the
// optimizer of train/optim.h.
#pragma once
#include <functional>
#include <memory>
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

// The optimizer s.optimizer names, over `params`.
std::unique_ptr<Optimizer> make_optimizer(const TrainSettings& s, std::vector<NamedParam> params);

}  // namespace oc
