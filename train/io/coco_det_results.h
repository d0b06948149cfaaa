// COCO detection result files, the JSON list cocoeval's loadRes reads, so COCO's own tools can
// score the same detections evaluate_coco_det scores:
//   [{"image_id": 42, "category_id": 3, "bbox": [x, y, w, h], "score": 0.93,
//     "segmentation": {"size": [h, w], "counts": "<COCO compressed RLE>"}}, ...]
#pragma once
#include <string>
#include <vector>

#include "train/io/coco_det_types.h"

namespace oc {

// One entry per result; "segmentation" only for results with a mask. Non-finite numbers and
// negative box sizes are errors naming the entry. Written atomically (temp + rename).
void write_coco_det_results(const std::string& path, const std::vector<CocoDetResult>& results);

// Reads such a file strictly against the data set it answers: every entry is an object with exactly
// image_id (an image of `dataset`), category_id (a category of `dataset`), bbox (4 finite numbers,
// w and h >= 0), score (finite) and optionally segmentation (compressed RLE whose size is the
// image's [height, width]; polygons and uncompressed counts are not result formats). Errors name
// the file and the JSON path: "r.json: [12].bbox: expected 4 numbers, got 3".
std::vector<CocoDetResult> read_coco_det_results(const std::string& path, const CocoDetDataset& dataset);

}  // namespace oc
