// The pose heads' geometry and decoding, shared by the pose task (training, evaluation) and
// `ocellus infer` (see pose_task.cpp for the heads and their coordinate conventions).
#pragma once
#include <string>
#include <vector>

#include "nets/network.h"
#include "train/experiment.h"
#include "train/keypoints.h"

namespace oc {

struct PoseHeadGeometry {
  int64_t K = 0, H = 0, W = 0;  // joints, input image size
  int64_t Hh = 0, Wh = 0;       // heatmap size (H / stride, W / stride)
  double s = 4;                 // stride
};

// Checks that the model's first output fits the head (errors name `source`, the config file).
PoseHeadGeometry pose_head_geometry(const PoseSettings& p, const Network& model, int64_t joints,
                                    const std::string& source);

// The people found in each sample of a batch of first outputs, in COCO coordinates of the model's
// input image (pixel centres at +0.5); single-person heads give one person per sample.
std::vector<std::vector<Person>> decode_people(const PoseSettings& p, const PoseHeadGeometry& g, const Tensor& out);

}  // namespace oc
