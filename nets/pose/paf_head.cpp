// The paf head (OpenPose): per stage S [K, H/s, W/s] (joint confidence maps) and L [2 x limbs, H/s, W/s]
// (part affinity fields); the loss sums the mean squared errors to rendered Gaussians and fields over
// every stage; people are assembled from the last stage (find_peaks, paf_limb_scores, greedy matching).
#include "kernels/ops.h"
#include "kernels/pose/pose.h"
#include "nets/pose/pose_assembly.h"
#include "nets/pose/pose_heads.h"

namespace oc {
namespace {

class PafHead : public PoseHead {
 public:
  using PoseHead::PoseHead;

  void check_outputs(const Network& model, const std::string& source) const override {
    const std::vector<std::string>& names = model.output_names();
    OC_CHECK(names.size() % 2 == 0, source,
             ": head \"paf\" needs the model's outputs in pairs per stage (S, L, S, L, ...), got ", names.size(),
             " outputs");
    const Shape want_s{g_.K, g_.Hh, g_.Wh}, want_l{2 * static_cast<int64_t>(g_.limbs.size()), g_.Hh, g_.Wh};
    for (size_t i = 0; i < names.size(); ++i) {
      const Shape got = model.output_shape(names[i]), want = i % 2 == 0 ? want_s : want_l;
      OC_CHECK(got == want, source, ": head \"paf\" output \"", names[i], "\" (stage ", i / 2 + 1, ", ",
               i % 2 == 0 ? "confidence maps S" : "affinity fields L", ") should be ", shape_str(want), ", got ",
               shape_str(got));
    }
  }

  PoseTargets targets(const Tensor& keypoints, Device device) const override {
    Tensor k = to(keypoints, device);
    PoseTargets t;
    t.tensors = {render_heatmaps(k, g_.Hh, g_.Wh, g_.s, p_.sigma),
                 render_pafs(k, g_.limbs, g_.Hh, g_.Wh, g_.s, p_.limb_width)};
    return t;
  }

  // Sum over stages of the mean squared errors of S and L (per map, as in heatmap "mse").
  Tensor loss(const std::vector<Tensor>& outputs, const PoseTargets& t) const override {
    Tensor total;
    for (size_t i = 0; i + 1 < outputs.size(); i += 2) {
      Tensor stage = add(map_error(outputs[i], t.tensors[0], p_.target_weight),
                         map_error(outputs[i + 1], t.tensors[1], p_.target_weight));
      total = total.defined() ? add(total, stage) : stage;
    }
    return total;
  }

  // Peaks of the last stage's S, candidate limbs scored on its L, greedy assembly.
  std::vector<std::vector<Person>> decode(const std::vector<Tensor>& outputs) const override {
    const Tensor& s = outputs[outputs.size() - 2];
    const int64_t B = s.size(0);
    std::vector<Peak> peaks = find_peaks(s, p_.peak_threshold, g_.s);
    Tensor fields = contiguous(to(outputs.back().detach(), Device::cpu()));
    PoseAssemblyOptions ao = p_.assembly;
    ao.stride = g_.s;
    ao.image_height = static_cast<double>(g_.H);
    std::vector<std::vector<Person>> people(static_cast<size_t>(B));
    for (int64_t n = 0; n < B; ++n) {
      std::vector<AssembledPose> poses =
          assemble_poses(joint_candidates(peaks, n, g_.K), select(fields, 0, n), g_.limbs, ao);
      for (const AssembledPose& pose : poses) {
        Person person;
        person.image_id = n;
        person.score = static_cast<float>(pose.score);
        for (const AssembledJoint& j : pose.joints) {
          if (j.score < 0) person.keypoints.push_back({0, 0, 0});
          else person.keypoints.push_back({static_cast<float>(j.x + 0.5), static_cast<float>(j.y + 0.5), 2});
        }
        people[n].push_back(person);
      }
    }
    return people;
  }
};

}  // namespace

PoseHeadPtr make_paf_head(const PoseSettings& p, const PoseHeadGeometry& g) { return std::make_unique<PafHead>(p, g); }

}  // namespace oc
