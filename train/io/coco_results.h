// COCO keypoint result files: the JSON list cocoeval.py's loadRes reads, so COCO's own tools can
// score the same predictions we score with evaluate_oks.
//   [{"image_id": 42, "category_id": 1, "keypoints": [x1, y1, v1, ..., xK, yK, vK], "score": 0.93}, ...]
#pragma once
#include <string>
#include <vector>

#include "nets/pose/keypoints.h"

namespace oc {

// Writes one entry per person (category_id 1, keypoints as [x, y, v] * K, score). Every person
// needs the same K > 0. Non-finite
// coordinates or scores are errors naming the person; the file is written to a temporary name and
// renamed, so a reader never sees half of it.
void write_coco_keypoint_results(const std::string& path, const std::vector<Person>& predictions);

// Reads such a file back into Persons (id 0, bbox and area left 0: COCO derives them itself).
// num_keypoints > 0 requires 3 * num_keypoints numbers per entry; otherwise every entry must have
// as many as the first. Required keys: image_id (integer), category_id (must be 1), keypoints
// (numbers, v an integer 0..2), score (number); other keys (bbox, area, id, written by some tools)
// are ignored. Errors name the file and the entry index (and image_id when known).
std::vector<Person> read_coco_keypoint_results(const std::string& path, int num_keypoints = 0);

}  // namespace oc
