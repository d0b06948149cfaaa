// COCO keypoint annotation files (person_keypoints_*.json) read strictly and written back, and the
// crop-and-augment step that turns one annotated person into a square training sample.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "nets/pose/keypoints.h"
#include "train/data/homography.h"

namespace oc {

struct CocoImage {
  int64_t id = 0;
  std::string file_name;
  int64_t width = 0, height = 0;
};

struct CocoKeypoints {
  std::vector<CocoImage> images;
  std::vector<std::vector<Person>> people;  // people[i]: the annotations of images[i], in file order
  Skeleton skeleton;
  int64_t category_id = 1;
  std::string category_name = "person";
  int64_t num_people() const;
};

// The skeleton for joint names and 0-based limbs; flip pairs join "left_X" with "right_X".
Skeleton skeleton_from_names(const std::vector<std::string>& names, const std::vector<std::array<int, 2>>& limbs);

// Reads a COCO keypoints file. Exactly one category must carry "keypoints" (its "skeleton" is
// 1-based) and every annotation must belong to it. Required keys: images[i].{id, file_name, width,
// height}; annotations[i].{id, image_id, category_id, keypoints (3 K numbers, v in 0..2), bbox (4)};
// area, iscrowd and num_keypoints are optional (area defaults to the bbox area; num_keypoints, when
// present, must count the joints with v > 0). Other keys (segmentation, licenses, ...) are ignored.
// Errors name the file and the JSON path: "a.json: annotations[3].keypoints: expected 51 numbers ...".
CocoKeypoints read_coco_keypoints(const std::string& path);

// Writes the same layout (coordinates rounded to 0.001 px, skeleton 1-based); atomic (temp + rename).
void write_coco_keypoints(const std::string& path, const CocoKeypoints& data);

// uint8 [3,H,W] of images[index] read from image_dir; a size differing from the file's width and
// height is an error naming both.
Tensor read_coco_image(const CocoKeypoints& data, const std::string& image_dir, size_t index);

// --- crop and augment -----------------------------------------------------------------------------

struct PoseAugmentOptions {
  int64_t size = 128;            // S: the crop is S x S
  double margin = 1.25;          // crop side = margin * max(box width, box height), before scaling
  double rotation_degrees = 30;  // rotation uniform in [-r, r]
  double scale_min = 0.75, scale_max = 1.25;  // person size multiplied by a uniform draw in [min, max]
  bool horizontal_flip = true;   // with probability 1/2, mirrored and left/right joints swapped
  void check() const;            // throws oc::Error naming the bad field
};

// One sample's random choices (tests build these by hand).
struct PoseAugmentDraw {
  double degrees = 0, scale = 1;
  bool flip = false;
};

// Sample `index` under `seed`: Philox block `index` of the stream keyed by seed, so any sample can be
// drawn alone, in any order, on any thread.
PoseAugmentDraw draw_pose_augment(const PoseAugmentOptions& opt, uint64_t seed, uint64_t index);

struct PoseSample {
  Tensor image;                     // float32 [3,S,S] in [0,1] (bilinear, zero outside the source)
  std::vector<Keypoint> keypoints;  // crop pixels, COCO convention; v = 0 (and x = y = 0) outside
  Homography to_crop;               // image coordinates -> crop coordinates (both COCO convention)
  Homography to_image;              // its inverse: crop coordinates -> image coordinates
};

// Crops `person` out of a uint8 [3,H,W] image: centred on its box (the labelled joints' box when the
// box is empty), rotated, scaled and flipped about the crop centre by one matrix that moves the
// pixels and the keypoints alike. Flips swap the joints of `skeleton.flip_pairs`.
PoseSample crop_person(const Tensor& image, const Person& person, const Skeleton& skeleton,
                       const PoseAugmentOptions& opt, const PoseAugmentDraw& draw);

}  // namespace oc
