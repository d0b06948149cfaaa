// The pose head registry, the geometry every head shares, and the helpers of pose_heads.h.
#include "nets/pose/pose_head.h"

#include <cmath>

#include "kernels/ops.h"
#include "nets/pose/pose_heads.h"

namespace oc {

const Registry<PoseHeadKind>& pose_head_registry() {
  static const Registry<PoseHeadKind> r = [] {
    Registry<PoseHeadKind> r("pose head");
    r.add("direct", {}, {false, 2, make_direct_head});
    r.add("heatmap", {"stride", "heatmap_loss", "sigma", "target_weight"},
          {false, 1, [](const PoseSettings& p, const PoseHeadGeometry& g) {
             return heatmap_loss_registry().at(p.heatmap_loss, "task.heatmap_loss").factory(p, g);
           }});
    r.add("integral", {"stride", "beta", "coordinate_weight", "map_weight", "sigma", "decode_window"}, {false, 1, make_integral_head});
    r.add("paf",
          {"stride", "sigma", "limb_width", "target_weight", "peak_threshold", "max_people", "paf_threshold",
           "limb_samples", "min_limb_fraction", "min_joints", "min_person_score", "contradicting_limb", "person_score"},
          {true, 1, make_paf_head});
    return r;
  }();
  return r;
}

const Registry<PoseHeadMaker>& heatmap_loss_registry() {
  static const Registry<PoseHeadMaker> r = [] {
    Registry<PoseHeadMaker> r("heatmap loss");
    r.add("mse", {"sigma", "target_weight"}, make_heatmap_mse_head);
    r.add("cross_entropy", {}, make_heatmap_cross_entropy_head);
    return r;
  }();
  return r;
}

std::unique_ptr<PoseHead> make_pose_head(const PoseSettings& p, const Network& model, const Skeleton& skeleton,
                                         const std::string& source) {
  const auto& kind = pose_head_registry().at(p.head, source + ": task.head");
  PoseHeadGeometry g;
  g.limbs = skeleton.limbs;
  const Shape& in = model.input_shape();
  OC_CHECK(in.size() == 3, source, ": a pose model takes [C, H, W] images, model.input is ", shape_str(in));
  g.K = static_cast<int64_t>(skeleton.joint_names.size());
  g.H = in[1], g.W = in[2], g.s = p.stride;
  g.Hh = static_cast<int64_t>(std::lround(g.H / g.s)), g.Wh = static_cast<int64_t>(std::lround(g.W / g.s));
  std::unique_ptr<PoseHead> head = kind.factory.make(p, g);
  head->check_outputs(model, source);
  return head;
}

PoseTargets single_person_targets(const Tensor& keypoints) {
  Tensor t = select(keypoints, 1, 0);  // [B,K,3]
  PoseTargets out;
  out.tensors = {contiguous(slice(t, 2, 0, 2))};
  out.mask = to(contiguous(gt(slice(t, 2, 2, 3), zeros({1}, t.dtype()))), t.dtype());
  out.visible = std::max(1.0, item<double>(sum(out.mask)));
  return out;
}

Tensor cells_to_pixels(const Tensor& c, double s) { return add(mul(c, s), (s - 1) / 2); }

std::vector<float> heatmap_scores(const Tensor& out, const PoseHeadGeometry& g) {
  const int64_t B = out.size(0);
  Tensor flat = reshape(out, {B, g.K, g.Hh * g.Wh});
  std::vector<float> peak = to_vector<float>(to(max(softmax(flat, 2), {2}), Device::cpu()));
  std::vector<float> score(static_cast<size_t>(B));
  for (int64_t n = 0; n < B; ++n) {
    double acc = 0;
    for (int64_t k = 0; k < g.K; ++k) acc += peak[n * g.K + k];
    score[n] = static_cast<float>(acc / g.K);
  }
  return score;
}

std::vector<std::vector<Person>> single_people(const std::vector<float>& xy, const std::vector<float>& score,
                                               const PoseHeadGeometry& g) {
  std::vector<std::vector<Person>> people(score.size());
  for (size_t n = 0; n < score.size(); ++n) {
    Person person;
    person.image_id = static_cast<int64_t>(n);
    person.score = score[n];
    for (int64_t k = 0; k < g.K; ++k)  // back to COCO coordinates (pixel centres at +0.5)
      person.keypoints.push_back({xy[2 * (n * g.K + k)] + 0.5f, xy[2 * (n * g.K + k) + 1] + 0.5f, 2});
    people[n].push_back(person);
  }
  return people;
}

Tensor map_error(const Tensor& out, const Tensor& want, double target_weight) {
  Tensor d = sub(out, want);
  Tensor sq = mul(d, d);
  if (target_weight != 1) {
    Tensor on = to(gt(abs(want), full({1}, 1e-3, want.dtype(), want.device())), want.dtype());
    sq = mul(sq, add(mul(on, target_weight - 1), 1.0));
  }
  return mul(mean(sq), static_cast<double>(out.size(1)));
}

void JointMapsHead::check_outputs(const Network& model, const std::string& source) const {
  Shape out = model.output_shape(model.output_names()[0]);
  OC_CHECK(out == (Shape{g_.K, g_.Hh, g_.Wh}), source, ": head \"", p_.head, "\" with stride ", p_.stride,
           " needs the first output [", g_.K, ", ", g_.Hh, ", ", g_.Wh, "] (one map per joint), got ", shape_str(out));
}

}  // namespace oc
