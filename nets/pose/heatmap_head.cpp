// The heatmap head: the first output [K, H/s, W/s], one map per joint, decoded by argmax. Its loss is
// task.heatmap_loss: "cross_entropy" over the cells of each visible joint's map (the target is the
// cell nearest the joint), or "mse" to Gaussian maps of width sigma (render_heatmaps).
#include <algorithm>
#include <cmath>

#include "kernels/ops.h"
#include "kernels/pose/pose.h"
#include "kernels/pose/pose_math.h"
#include "losses/losses.h"
#include "nets/pose/pose_heads.h"

namespace oc {
namespace {

class HeatmapHead : public JointMapsHead {
 public:
  using JointMapsHead::JointMapsHead;

  std::vector<std::vector<Person>> decode(const std::vector<Tensor>& outputs) const override {
    const Tensor& out = outputs[0];
    const int64_t B = out.size(0);
    std::vector<float> score = heatmap_scores(out, g_);
    std::vector<int64_t> idx = to_vector<int64_t>(to(argmax(reshape(out, {B, g_.K, g_.Hh * g_.Wh}), 2), Device::cpu()));
    std::vector<float> xy(static_cast<size_t>(B * g_.K * 2), 0);
    for (int64_t i = 0; i < B * g_.K; ++i) {
      xy[2 * i] = static_cast<float>(pose_cell_centre(idx[i] % g_.Wh, g_.s));
      xy[2 * i + 1] = static_cast<float>(pose_cell_centre(idx[i] / g_.Wh, g_.s));
    }
    return single_people(xy, score, g_);
  }
};

class HeatmapCrossEntropyHead : public HeatmapHead {
 public:
  using HeatmapHead::HeatmapHead;

  // The cell index of each visible joint (-100, ignored, for the others).
  PoseTargets targets(const Tensor& keypoints, Device device) const override {
    PoseTargets t = single_person_targets(keypoints);
    const int64_t B = keypoints.size(0);
    std::vector<float> xyv = to_vector<float>(t.tensors[0]), mv = to_vector<float>(t.mask);
    std::vector<int64_t> cls(static_cast<size_t>(B * g_.K), -100);
    for (int64_t i = 0; i < B * g_.K; ++i) {
      if (mv[i] <= 0) continue;
      const int64_t j = std::clamp<int64_t>(std::lround(pose_to_cell<double>(xyv[2 * i], g_.s)), 0, g_.Wh - 1);
      const int64_t r = std::clamp<int64_t>(std::lround(pose_to_cell<double>(xyv[2 * i + 1], g_.s)), 0, g_.Hh - 1);
      cls[i] = r * g_.Wh + j;
    }
    t.tensors = {to(from_vector(cls, {B * g_.K}), device)};
    t.mask = Tensor();
    return t;
  }

  Tensor loss(const std::vector<Tensor>& outputs, const PoseTargets& t) const override {
    const Tensor& out = outputs[0];
    const int64_t B = out.size(0);
    CrossEntropyOptions ce;
    ce.reduction = Reduction::sum;
    Tensor logits = reshape(out, {B * g_.K, g_.Hh * g_.Wh});
    return div(cross_entropy(logits, t.tensors[0], ce), t.visible);
  }
};

class HeatmapMseHead : public HeatmapHead {
 public:
  using HeatmapHead::HeatmapHead;

  PoseTargets targets(const Tensor& keypoints, Device device) const override {
    PoseTargets t;
    t.tensors = {render_heatmaps(to(slice(keypoints, 1, 0, 1), device), g_.Hh, g_.Wh, g_.s, p_.sigma)};
    return t;
  }

  Tensor loss(const std::vector<Tensor>& outputs, const PoseTargets& t) const override {
    return map_error(outputs[0], t.tensors[0], p_.target_weight);
  }
};

}  // namespace

PoseHeadPtr make_heatmap_mse_head(const PoseSettings& p, const PoseHeadGeometry& g) {
  return std::make_unique<HeatmapMseHead>(p, g);
}

PoseHeadPtr make_heatmap_cross_entropy_head(const PoseSettings& p, const PoseHeadGeometry& g) {
  return std::make_unique<HeatmapCrossEntropyHead>(p, g);
}

}  // namespace oc
