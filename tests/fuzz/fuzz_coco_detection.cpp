// Fuzz target: a COCO detection annotation file (train/io/coco_detection.h): boxes, polygons, RLE
// masks, then the checks a data set must pass before training.
#include "tests/fuzz/fuzz_support.h"
#include "train/io/coco_detection.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = oc::fuzz::write_input(data, size, "annotations.json");
  return oc::fuzz::read_or_refuse([&] {
    const oc::CocoDetDataset d = oc::read_coco_detection(path);
    oc::validate_coco_detection(d, path);
  });
}
