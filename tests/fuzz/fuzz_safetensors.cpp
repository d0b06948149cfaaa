// Fuzz target: a safetensors file (checkpoints, train/io/safetensors.h): header, dtypes, shapes, offsets.
#include "tests/fuzz/fuzz_support.h"
#include "train/io/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = oc::fuzz::write_input(data, size, "input.safetensors");
  return oc::fuzz::read_or_refuse([&] { oc::load_safetensors(path); });
}
