// Fuzz target: a local-features file (train/io/features_file.h), as `ocellus match` reads LIFT's and
// OpenCV's keypoints and descriptors.
#include "tests/fuzz/fuzz_support.h"
#include "train/io/features_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = oc::fuzz::write_input(data, size, "features.json");
  return oc::fuzz::read_or_refuse([&] { oc::read_features(path); });
}
