// The pose heads' factories (one file each) and the parts they share; only pose_head.cpp and the
// heads include this.
#pragma once
#include <memory>
#include <vector>

#include "nets/pose/pose_head.h"

namespace oc {

using PoseHeadPtr = std::unique_ptr<PoseHead>;
PoseHeadPtr make_direct_head(const PoseSettings& p, const PoseHeadGeometry& g);
PoseHeadPtr make_heatmap_mse_head(const PoseSettings& p, const PoseHeadGeometry& g);
PoseHeadPtr make_heatmap_cross_entropy_head(const PoseSettings& p, const PoseHeadGeometry& g);
PoseHeadPtr make_integral_head(const PoseSettings& p, const PoseHeadGeometry& g);
PoseHeadPtr make_paf_head(const PoseSettings& p, const PoseHeadGeometry& g);

// The visible joints of person slot 0 of each sample, on the CPU: xy [B,K,2], mask [B,K,1] (1 visible),
// visible = max(1, count); xy and mask in the keypoints' dtype.
PoseTargets single_person_targets(const Tensor& keypoints);

// Input-pixel coordinates [B,K,2] of heatmap-cell coordinates.
Tensor cells_to_pixels(const Tensor& c, double s);

// Maps [B,K,Hh,Wh]: per sample, the mean over joints of each map's largest softmax probability
// (a confidence for ranking detections in AP).
std::vector<float> heatmap_scores(const Tensor& out, const PoseHeadGeometry& g);

// One person per sample from keypoints xy [B*K*2] in input pixels (pixel centres at integers).
std::vector<std::vector<Person>> single_people(const std::vector<float>& xy, const std::vector<float>& score,
                                               const PoseHeadGeometry& g);

// Mean squared error of maps [B, C, h, w] against rendered targets, times C (per map, so the scale
// does not shrink with the channel count). With target_weight w > 1 the cells where the target is
// non-zero count w times: the targets are sparse, and unweighted the background dominates.
Tensor map_error(const Tensor& out, const Tensor& want, double target_weight);

// The heads whose first output is one map per joint [K, H/s, W/s] (heatmap, integral).
class JointMapsHead : public PoseHead {
 public:
  using PoseHead::PoseHead;
  void check_outputs(const Network& model, const std::string& source) const override;
};

}  // namespace oc
