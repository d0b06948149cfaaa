// The direct head: the first output [2K] is (x, y) per joint in normalized coordinates (-1 and 1 are
// the image's outer edges, grid_sample's align_corners=false convention); L2 loss on visible joints.
#include "kernels/ops.h"
#include "nets/pose/pose_heads.h"

namespace oc {
namespace {

class DirectHead : public PoseHead {
 public:
  using PoseHead::PoseHead;

  void check_outputs(const Network& model, const std::string& source) const override {
    Shape out = model.output_shape(model.output_names()[0]);
    OC_CHECK(out == Shape{2 * g_.K}, source, ": head \"direct\" needs the first output [", 2 * g_.K, "] (x, y of ",
             g_.K, " joints), got ", shape_str(out));
  }

  PoseTargets targets(const Tensor& keypoints, Device device) const override {
    PoseTargets t = single_person_targets(keypoints);
    Tensor scale = from_vector(std::vector<float>{2.0f / g_.W, 2.0f / g_.H}, {1, 1, 2});
    t.tensors = {to(sub(mul(add(t.tensors[0], 0.5), scale), 1.0), device)};
    t.mask = to(t.mask, device);
    return t;
  }

  Tensor loss(const std::vector<Tensor>& outputs, const PoseTargets& t) const override {
    const Tensor& out = outputs[0];
    Tensor d = sub(reshape(out, {out.size(0), g_.K, 2}), t.tensors[0]);
    return div(sum(mul(mul(d, d), t.mask)), t.visible);
  }

  std::vector<std::vector<Person>> decode(const std::vector<Tensor>& outputs) const override {
    const Tensor& out = outputs[0];
    const int64_t B = out.size(0);
    Tensor scale = from_vector(std::vector<float>{g_.W / 2.0f, g_.H / 2.0f}, {1, 1, 2});
    Tensor unit = to(reshape(out, {B, g_.K, 2}), Device::cpu());
    std::vector<float> xy = to_vector<float>(sub(mul(add(unit, 1.0), scale), 0.5));
    return single_people(xy, std::vector<float>(static_cast<size_t>(B), 1.0f), g_);
  }
};

}  // namespace

PoseHeadPtr make_direct_head(const PoseSettings& p, const PoseHeadGeometry& g) {
  return std::make_unique<DirectHead>(p, g);
}

}  // namespace oc
