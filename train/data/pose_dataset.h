// A pose data set in memory for training and evaluation: the images of a COCO-format directory
// (DIR/annotations.json + DIR/images/, as `ocellus data pose-synth` writes it) with every person's
// keypoints as a batched target tensor, and the people themselves for the metrics.
#pragma once
#include <string>
#include <vector>

#include "nets/pose/keypoints.h"
#include "train/data/dataset.h"
#include "train/io/coco_keypoints.h"

namespace oc {

struct PoseDataset {
  // images uint8 [N,3,H,W] (one size for all), labels zeros [N], targets float32 [N, P, K, 3]:
  // (x, y, v) per joint of up to P people, in kernel coordinates (pixel centres at integers: COCO's
  // x - 0.5); empty slots and unlabelled joints have v = 0.
  ImageDataset data;
  std::vector<std::vector<Person>> people;  // per image, COCO coordinates (as in the file)
  std::vector<int64_t> image_ids;           // per sample, the file's image id
  std::vector<Homography> to_image;         // per sample, sample pixels -> the file's image (crops)
  Skeleton skeleton;
};

// max_people = P (people beyond it are dropped, in file order; crowd annotations are skipped for
// targets but kept in `people`). limit > 0 keeps the first images. Errors name the file.
// skip_corrupt: an image that cannot be read or decoded is left out with its people and targets
// (after the limit), and counted in data.skipped, instead of being an error.
PoseDataset load_pose_dataset(const std::string& dir, int64_t max_people, int64_t limit = 0,
                              bool skip_corrupt = false);

// Single-person samples from images of any size (real COCO-format data): every non-crowd person
// with a labelled joint becomes one crop.size x crop.size sample (train/io/coco_keypoints.h crop_person:
// the box with a margin; with `augment`, a rotation, scale and flip drawn per person from `seed`,
// fixed for the run). people[i] holds that person in crop coordinates; P = 1. skip_corrupt: every
// crop of an image that cannot be read is left out (after the limit, which counts crops), and
// data.skipped counts the images.
PoseDataset load_pose_crops(const std::string& dir, const PoseAugmentOptions& crop, bool augment, uint64_t seed,
                            int64_t limit = 0, bool skip_corrupt = false);

}  // namespace oc
