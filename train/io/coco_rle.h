// COCO run-length encoded masks (pycocotools' maskApi): encode/decode, area, box, the compressed
// "counts" string of COCO files, and mask IoU with COCO's crowd rule.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace oc {

// A binary [height, width] mask as runs over its pixels in column-major order (x outer, y inner,
// as COCO stores masks); runs alternate 0s and 1s and the first run is of 0s (possibly empty).
// The counts sum to height * width.
struct Rle {
  int64_t height = 0, width = 0;
  std::vector<uint32_t> counts;
};

// mask: row-major [H,W] (our image layout), nonzero = inside.
Rle rle_encode(const uint8_t* mask, int64_t height, int64_t width);
// Row-major [H,W] of 0/1. Counts not summing to height * width are an error.
std::vector<uint8_t> rle_decode(const Rle& r);
// Pixels inside the mask.
int64_t rle_area(const Rle& r);
// x, y, w, h of the tightest box around the mask, as pycocotools' toBbox computes it (all zeros
// for an empty mask).
std::array<double, 4> rle_bbox(const Rle& r);
// COCO's compressed counts string (LEB128-like 5-bit groups offset by 48, each count after the
// second stored as the difference to the count two before).
std::string rle_to_string(const Rle& r);
// The inverse; a malformed string, or counts not summing to height * width, throws oc::Error.
Rle rle_from_string(const std::string& counts, int64_t height, int64_t width);
// Intersection over union of two masks of the same size; for a crowd ground truth COCO divides by
// the detection's area alone: |dt & gt| / |dt|. 0 when the denominator is 0.
double rle_iou(const Rle& dt, const Rle& gt, bool gt_iscrowd);

}  // namespace oc
