// Fuzz target: COCO result files, as `ocellus eval --results` reads them: keypoint results
// (train/io/coco_results.h) when the first byte is even, detection results against a small data set of
// two images and two categories (train/io/coco_det_results.h) when it is odd.
#include "tests/fuzz/fuzz_support.h"
#include "train/io/coco_det_results.h"
#include "train/io/coco_results.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string path = oc::fuzz::write_input(data + 1, size - 1, "results.json");
  if (data[0] % 2 == 0) return oc::fuzz::read_or_refuse([&] { oc::read_coco_keypoint_results(path, 17); });
  static const oc::CocoDetDataset dataset = [] {
    oc::CocoDetDataset d;
    d.images = {{1, "a.png", 64, 48}, {7, "b.png", 32, 32}};
    d.categories = {{1, "shirt"}, {3, "bag"}};
    return d;
  }();
  return oc::fuzz::read_or_refuse([&] { oc::read_coco_det_results(path, dataset); });
}
