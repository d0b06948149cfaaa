// A pose data set in memory for training and evaluation: the images of a COCO-format directory
// (DIR/annotations.json + DIR/images/, as `ocellus data pose-synth` writes it) with every person's
// keypoints as a batched target tensor, and the people themselves for the metrics.
#pragma once
#include <string>
#include <vector>

#include "train/dataset.h"
#include "train/keypoints.h"

namespace oc {

struct PoseDataset {
  // images uint8 [N,3,H,W] (one size for all), labels zeros [N], targets float32 [N, P, K, 3]:
  // (x, y, v) per joint of up to P people, in kernel coordinates (pixel centres at integers: COCO's
  // x - 0.5); empty slots and unlabelled joints have v = 0.
  ImageDataset data;
  std::vector<std::vector<Person>> people;  // per image, COCO coordinates (as in the file)
  std::vector<int64_t> image_ids;           // per image, the file's image id
  Skeleton skeleton;
};

// max_people = P (people beyond it are dropped, in file order; crowd annotations are skipped for
// targets but kept in `people`). limit > 0 keeps the first images. Errors name the file.
PoseDataset load_pose_dataset(const std::string& dir, int64_t max_people, int64_t limit = 0);

}  // namespace oc
