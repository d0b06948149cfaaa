// A detection data set in memory for training and evaluation: the images of a COCO-format detection
// directory (DIR/annotations.json + DIR/images/, as `ocellus data det-synth` writes it) with each
// image's boxes as a batched target tensor, and the file's annotations as the ground truth of the
// COCO AP evaluation.
#pragma once
#include <string>
#include <vector>

#include "train/data/dataset.h"
#include "train/io/coco_det_types.h"

namespace oc {

struct DetDataset {
  // images uint8 [N,3,H,W] (one size for all), labels zeros [N], targets float32 [N, M, 5]:
  // (label, x1, y1, x2, y2) per non-crowd object in file order (corners in pixels, COCO convention),
  // label -1 in the empty slots. class_names: the categories' names, by label.
  ImageDataset data;
  CocoDetDataset coco;                // the first N images and their annotations (crowd ones too)
  std::vector<int64_t> category_ids;  // label -> category id (categories by ascending id)
};

// max_objects = M (objects beyond it are left out of the targets, never of `coco`); limit > 0
// keeps the first images. Errors name the file.
DetDataset load_detection_dataset(const std::string& dir, int64_t max_objects, int64_t limit = 0);

// The categories' names of DIR/annotations.json by label (ascending category id), for tools that
// need the classes without the images (`ocellus infer`). Errors name the file.
std::vector<std::string> read_detection_class_names(const std::string& dir);

}  // namespace oc
