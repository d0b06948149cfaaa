// The pose heads' geometry and decoding, shared by the pose task (training, evaluation) and
// `ocellus infer` (see pose_task.cpp for the heads and their coordinate conventions).
#pragma once
#include <array>
#include <string>
#include <vector>

#include "nets/network.h"
#include "nets/pose/keypoints.h"
#include "train/experiment.h"

namespace oc {

struct PoseHeadGeometry {
  int64_t K = 0, H = 0, W = 0;  // joints, input image size
  int64_t Hh = 0, Wh = 0;       // heatmap size (H / stride, W / stride)
  double s = 4;                 // stride
  std::vector<std::array<int, 2>> limbs;  // paf: the skeleton's limbs, one 2-channel field each
};

// Checks that the model's outputs fit the head (errors name `source`, the config file): the first
// output for direct / heatmap / integral; for paf every output, in pairs per stage:
// S [K, H/s, W/s] (joint confidence maps), L [2 x limbs, H/s, W/s] (part affinity fields).
PoseHeadGeometry pose_head_geometry(const PoseSettings& p, const Network& model, const Skeleton& skeleton,
                                    const std::string& source);

// The model's named outputs in the config's order.
std::vector<Tensor> forward_outputs(Network& model, const Tensor& x);

// The people found in each sample of a batch (outputs as forward_outputs returns them), in COCO
// coordinates of the model's input image (pixel centres at +0.5); single-person heads give one
// person per sample, paf any number (greedy assembly over the last stage's S and L).
std::vector<std::vector<Person>> decode_people(const PoseSettings& p, const PoseHeadGeometry& g,
                                               const std::vector<Tensor>& outputs);

}  // namespace oc
