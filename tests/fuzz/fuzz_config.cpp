// Fuzz target: an experiment config (nets/config.h, train/experiment.h) read from its file, with the
// network built behind it (every layer's construction and shape inference, the task's attached networks).
#include "tests/fuzz/fuzz_support.h"
#include "train/experiment.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = oc::fuzz::write_input(data, size, "config.json");
  return oc::fuzz::read_or_refuse([&] { oc::load_experiment(path, {}); });
}
