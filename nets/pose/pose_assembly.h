// OpenPose's greedy grouping of heatmap peaks into people, limb by limb, on plain structs (kernels/
// cannot see nets/pose/keypoints.h; callers turn the result into their Person).
#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include "core/tensor.h"
#include "kernels/pose/pose.h"

namespace oc {

// A detected joint in input pixels (the convention of pose.h).
struct JointCandidate {
  double x = 0, y = 0, score = 0;
};

// One person: K joints, x = y = score = -1 where a joint is missing.
struct AssembledJoint {
  double x = -1, y = -1, score = -1;
};
struct AssembledPose {
  std::vector<AssembledJoint> joints;
  // The person's joint scores (peak values) and limb scores (PAF scores with the distance prior),
  // summed, over joints + limbs (a clean person scores about 1) or with score_per_joint over joints.
  double score = 0;
  int joint_count = 0, limb_count = 0;
};

struct PoseAssemblyOptions {
  double stride = 8;          // of the PAF maps
  int samples = 10;           // points along each candidate limb (OpenPose: 10)
  double paf_threshold = 0.05;  // a sample counts when its dot product exceeds this
  double min_fraction = 0.8;  // share of samples that must count
  // Distance prior: a candidate limb's score gets min(0.5 * image_height / length - 1, 0), which
  // penalizes limbs longer than half the image. 0: the maps' height * stride.
  double image_height = 0;
  int min_joints = 4;         // people with fewer joints are dropped (OpenPose: 4)
  double min_score = 0.2;     // people with a lower score are dropped
  // A pair whose one joint sits in a person that holds a different candidate of its other joint
  // type: false drops the pair (the earlier limb wins); true moves that joint to the pair's
  // candidate (the later limb wins, as OpenPose does).
  bool replace_contradicting = false;
  // The person score divides the summed joint and limb scores by the joints and limbs (false: a clean
  // person scores about 1) or by the joints alone (true: OpenPose's, about 2 for a clean person).
  bool score_per_joint = false;
};

// The peaks of image n grouped by joint type: `joints` lists in find_peaks order.
std::vector<std::vector<JointCandidate>> joint_candidates(const std::vector<Peak>& peaks, int64_t n,
                                                          int64_t joints);

// candidates: K lists (one per joint type); pafs [2L,H,W] of one image (any device; limb l in
// channels 2l, 2l+1); limbs (a, b) as given to render_pafs. For each limb in order: every pair of
// candidates (a, b) is scored by paf_limb_scores plus the distance prior; pairs with
// fraction >= min_fraction and score > 0 are matched greedily, best first, each candidate used once
// per limb. An accepted pair then starts a person (neither joint placed yet), completes one (one
// joint placed), or joins the two people holding its joints when they share no joint type; a pair
// that contradicts a placed joint is dropped, or with replace_contradicting moves that joint to its
// candidate (the limb that placed the old one still counts, as in OpenPose). Returns the people with
// at least min_joints joints and min_score, best score first.
std::vector<AssembledPose> assemble_poses(const std::vector<std::vector<JointCandidate>>& candidates,
                                          const Tensor& pafs, const std::vector<std::array<int, 2>>& limbs,
                                          const PoseAssemblyOptions& options = {});

}  // namespace oc
