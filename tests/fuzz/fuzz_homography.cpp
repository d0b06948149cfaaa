// Fuzz target: a homography file (train/io/homography_file.h): OpenCV's XML or YAML, or 9 plain numbers.
#include "tests/fuzz/fuzz_support.h"
#include "train/io/homography_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = oc::fuzz::write_input(data, size, "H1to2");
  return oc::fuzz::read_or_refuse([&] { oc::read_homography_file(path); });
}
