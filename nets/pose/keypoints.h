// People with keypoints, as COCO's keypoint annotations describe them: shared by the COCO loader,
// the synthetic pose data, the pose metrics (PCK, OKS AP) and the result files.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace oc {

struct Keypoint {
  float x = 0, y = 0;  // pixels, image coordinates (x right, y down), pixel centres at integer + 0.5
                       // as COCO stores them
  int v = 0;           // COCO visibility: 0 not labelled, 1 labelled but occluded, 2 visible
};

struct Person {
  int64_t image_id = 0;
  int64_t id = 0;                  // annotation id (0 for predictions)
  std::vector<Keypoint> keypoints;  // K of them, in the skeleton's joint order
  std::array<float, 4> bbox{};     // x, y, width, height in pixels
  float area = 0;                  // segmentation area (COCO's OKS scale s^2); bbox area when unknown
  bool crowd = false;              // iscrowd: ignored in matching (COCO semantics)
  float score = 1;                 // predictions: confidence used to rank detections
};

struct Skeleton {
  std::vector<std::string> joint_names;              // K names
  std::vector<std::array<int, 2>> limbs;             // 0-based joint index pairs
  std::vector<std::array<int, 2>> flip_pairs;        // left/right joints swapped by a horizontal flip
};

// The 17 COCO person keypoints: names, the 19 COCO skeleton limbs (0-based), the left/right pairs.
const Skeleton& coco_person_skeleton();
// Which input joint each output joint reads: j itself, or with `flipped` its flip_pairs partner (a
// mirrored left wrist is the right wrist).
std::vector<size_t> joint_sources(const Skeleton& skeleton, bool flipped);
// COCO's per-joint OKS constants sigma_i for the 17 person keypoints (cocoeval.py's kpt_oks_sigmas).
const std::vector<float>& coco_person_sigmas();

}  // namespace oc
