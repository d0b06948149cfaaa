// Fuzz target: a training checkpoint as --resume reads it (train/checkpoint.h): the safetensors file, then
// its metadata (position, best score, epoch sums, dropout offsets) and tensors matched against a small
// model (conv, batch norm, dropout, linear) and its Adam state.
#include <cstdlib>

#include "kernels/random/random.h"
#include "kernels/reduce/reduce.h"
#include "tests/fuzz/fuzz_support.h"
#include "train/checkpoint.h"
#include "train/optimizers.h"

namespace {

const char* kConfig = R"({
  "model": {"input": [1, 6, 6], "layers": [
    {"name": "conv", "type": "conv2d", "out_channels": 2, "kernel": 3, "padding": 1},
    {"name": "bn", "type": "batchnorm2d"}, {"name": "relu", "type": "relu"},
    {"name": "flatten", "type": "flatten"}, {"name": "drop", "type": "dropout", "p": 0.5},
    {"name": "fc", "type": "linear", "out_features": 3}]},
  "train": {"optimizer": {"type": "adam", "lr": 0.001}}
})";

oc::Experiment& experiment() {
  static oc::Experiment e = oc::experiment_from_json(oc::json::parse(kConfig), "fuzz_checkpoint.json");
  return e;
}

std::unique_ptr<oc::Optimizer> optimizer_of(oc::Experiment& e) {
  std::vector<oc::NamedParam> params;
  for (auto& [name, t] : e.model->named_parameters()) params.push_back({name, t});
  return oc::make_optimizer(e.train, params);
}

}  // namespace

// The seed: with OCELLUS_FUZZ_WRITE_SEED=FILE (tests/fuzz/make_seeds.py sets it), the program writes a
// checkpoint of this model after one Adam step to FILE and exits.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* seed = std::getenv("OCELLUS_FUZZ_WRITE_SEED");
  if (!seed) return 0;
  oc::Experiment& e = experiment();
  std::unique_ptr<oc::Optimizer> opt = optimizer_of(e);
  oc::sum(e.model->forward(oc::normal({4, 1, 6, 6}))).backward();
  opt->step();
  oc::TrainPosition pos;
  pos.epoch = 1;
  pos.global_step = 1;
  pos.best_score = 0.25;
  oc::save_checkpoint(seed, *e.model, *opt, e, pos);
  std::exit(0);
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  oc::Experiment& e = experiment();
  std::unique_ptr<oc::Optimizer> opt = optimizer_of(e);
  const std::string path = oc::fuzz::write_input(data, size, "last.safetensors");
  return oc::fuzz::read_or_refuse([&] { oc::load_checkpoint(path, *e.model, *opt, oc::Device::cpu()); });
}
