// Fuzz target: LIFT's data lists (train/data/homography_pairs.h): DIR/pairs.json (homography pairs)
// when the first byte is even, DIR/patches.json (patch quadruplets) when it is odd.
#include "tests/fuzz/fuzz_support.h"
#include "train/data/homography_pairs.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const bool pairs = data[0] % 2 == 0;
  oc::fuzz::write_input(data + 1, size - 1, pairs ? "pairs.json" : "patches.json");
  const std::string& dir = oc::fuzz::input_dir();
  if (pairs) return oc::fuzz::read_or_refuse([&] { oc::read_homography_pairs(dir); });
  return oc::fuzz::read_or_refuse([&] { oc::read_patch_quadruplets(dir); });
}
