// The integral head (Sun et al., integral pose regression): the heatmap head's maps [K, H/s, W/s],
// decoded by soft-argmax; L1 loss on the coordinates of visible joints.
#include "kernels/ops.h"
#include "kernels/soft_argmax/soft_argmax.h"
#include "nets/pose/pose_heads.h"

namespace oc {
namespace {

class IntegralHead : public JointMapsHead {
 public:
  using JointMapsHead::JointMapsHead;

  PoseTargets targets(const Tensor& keypoints, Device device) const override {
    PoseTargets t = single_person_targets(keypoints);
    t.tensors = {to(t.tensors[0], device)};
    t.mask = to(t.mask, device);
    return t;
  }

  Tensor loss(const std::vector<Tensor>& outputs, const PoseTargets& t) const override {
    Tensor d = abs(sub(coordinates(outputs[0]), t.tensors[0]));
    // L1 in units of the input width, so the loss scale does not depend on the image size.
    return div(sum(mul(d, t.mask)), t.visible * g_.W);
  }

  std::vector<std::vector<Person>> decode(const std::vector<Tensor>& outputs) const override {
    std::vector<float> score = heatmap_scores(outputs[0], g_);
    return single_people(to_vector<float>(to(coordinates(outputs[0]), Device::cpu())), score, g_);
  }

 private:
  // [B,K,2] in input pixels.
  Tensor coordinates(const Tensor& maps) const {
    SoftArgmaxOptions o;
    o.beta = p_.beta;
    return cells_to_pixels(soft_argmax(maps, o), g_.s);
  }
};

}  // namespace

PoseHeadPtr make_integral_head(const PoseSettings& p, const PoseHeadGeometry& g) {
  return std::make_unique<IntegralHead>(p, g);
}

}  // namespace oc
