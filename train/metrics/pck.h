// PCK@alpha and mean joint error for the single-person setting: prediction i is scored against
// ground truth i, joint by joint.
#pragma once
#include <cstdint>
#include <vector>

#include "nets/pose/keypoints.h"

namespace oc {

// The length PCK thresholds scale with: max(bbox width, bbox height) of the ground truth.
double pck_person_size(const Person& ground_truth);

struct PckResult {
  std::vector<double> alphas;  // as asked
  std::vector<double> pck;     // per alpha: fraction of visible joints with distance <= alpha * size
  double mean_error = 0;       // mean pixel distance over visible joints
  int64_t visible_joints = 0;  // ground-truth joints with v > 0; when 0, pck and mean_error are 0
};

// Only ground-truth joints with v > 0 count; the predictions' v is not looked at. A joint exactly
// on the threshold counts as correct. Errors: different numbers of predictions and ground truths,
// or of keypoints within a pair (naming both counts), and negative or non-finite alphas.
PckResult pck(const std::vector<Person>& predictions, const std::vector<Person>& ground_truths,
              const std::vector<double>& alphas = {0.05, 0.1});

}  // namespace oc
