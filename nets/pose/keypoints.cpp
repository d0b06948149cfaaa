// COCO's person keypoint definition (person_keypoints_*.json's category and cocoeval.py's sigmas).
#include "nets/pose/keypoints.h"

#include <utility>

namespace oc {

std::vector<size_t> joint_sources(const Skeleton& skeleton, bool flipped) {
  std::vector<size_t> source(skeleton.joint_names.size());
  for (size_t j = 0; j < source.size(); ++j) source[j] = j;
  if (flipped)
    for (const auto& fp : skeleton.flip_pairs) std::swap(source[static_cast<size_t>(fp[0])], source[static_cast<size_t>(fp[1])]);
  return source;
}

const Skeleton& coco_person_skeleton() {
  static const Skeleton s = [] {
    Skeleton k;
    k.joint_names = {"nose",          "left_eye",       "right_eye",  "left_ear",    "right_ear",
                     "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist",
                     "right_wrist",   "left_hip",       "right_hip",  "left_knee",   "right_knee",
                     "left_ankle",    "right_ankle"};
    // COCO's "skeleton" lists these pairs 1-based; stored here 0-based, in the same order.
    const int one_based[19][2] = {{16, 14}, {14, 12}, {17, 15}, {15, 13}, {12, 13}, {6, 12}, {7, 13},
                                  {6, 7},   {6, 8},   {7, 9},   {8, 10},  {9, 11},  {2, 3},  {1, 2},
                                  {1, 3},   {2, 4},   {3, 5},   {4, 6},   {5, 7}};
    for (const auto& l : one_based) k.limbs.push_back({l[0] - 1, l[1] - 1});
    k.flip_pairs = {{1, 2}, {3, 4}, {5, 6}, {7, 8}, {9, 10}, {11, 12}, {13, 14}, {15, 16}};
    return k;
  }();
  return s;
}

const std::vector<float>& coco_person_sigmas() {
  static const std::vector<float> s = {.026f, .025f, .025f, .035f, .035f, .079f, .079f, .072f, .072f,
                                       .062f, .062f, .107f, .107f, .087f, .087f, .089f, .089f};
  return s;
}

}  // namespace oc
