// Fuzz target: a COCO keypoint annotation file (train/io/coco_keypoints.h).
#include "tests/fuzz/fuzz_support.h"
#include "train/io/coco_keypoints.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = oc::fuzz::write_input(data, size, "annotations.json");
  return oc::fuzz::read_or_refuse([&] { oc::read_coco_keypoints(path); });
}
