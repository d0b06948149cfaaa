// The integral head (Sun et al., integral pose regression): the heatmap head's maps [K, H/s, W/s],
// decoded by soft-argmax. Its loss: coordinate_weight x L1 on the coordinates of visible joints, plus
// map_weight x KL divergence of each visible joint's softmax(beta * map) from a normalised Gaussian
// of width sigma at the joint. L1 alone leaves the maps' shape free (a wide map pulled towards the
// centre has the right mean); the map term keeps them compact, as the paper's combined losses do.
#include <algorithm>
#include <cmath>
#include <limits>

#include "kernels/ops.h"
#include "kernels/pose/pose.h"
#include "kernels/soft_argmax/soft_argmax.h"
#include "nets/pose/pose_heads.h"

namespace oc {
namespace {

class IntegralHead : public JointMapsHead {
 public:
  using JointMapsHead::JointMapsHead;

  // tensors: xy [B,K,2]; with map_weight > 0 also the target distributions [B,K,cells] (rows of
  // missing joints, and of joints whose Gaussian falls wholly outside the map, are 0) and their
  // summed entropy term sum t log t (a scalar, so the map loss is 0 at a perfect match).
  PoseTargets targets(const Tensor& keypoints, Device device) const override {
    PoseTargets t = single_person_targets(keypoints);
    t.tensors = {to(t.tensors[0], device)};
    t.mask = to(t.mask, device);
    if (p_.map_weight > 0) {
      const int64_t B = keypoints.size(0);
      Tensor maps = render_heatmaps(to(slice(keypoints, 1, 0, 1), device), g_.Hh, g_.Wh, g_.s, p_.sigma);
      Tensor flat = reshape(maps, {B, g_.K, g_.Hh * g_.Wh});
      Tensor total = clamp(sum(flat, {2}, true), 1e-12, std::numeric_limits<double>::infinity());
      Tensor dist = div(flat, total);
      t.tensors.push_back(dist);
      t.tensors.push_back(sum(mul(dist, log(clamp(dist, 1e-30, 1.0)))));
    }
    return t;
  }

  Tensor loss(const std::vector<Tensor>& outputs, const PoseTargets& t) const override {
    const Tensor& maps = outputs[0];
    Tensor d = abs(sub(coordinates(maps), t.tensors[0]));
    // L1 in units of the input width, so the loss scale does not depend on the image size.
    Tensor total = mul(div(sum(mul(d, t.mask)), t.visible * g_.W), p_.coordinate_weight);
    if (p_.map_weight > 0) {
      const int64_t B = maps.size(0);
      Tensor log_p = log_softmax(mul(reshape(maps, {B, g_.K, g_.Hh * g_.Wh}), p_.beta), 2);
      Tensor kl = sub(t.tensors[2], sum(mul(t.tensors[1], log_p)));  // sum t log t - sum t log p
      total = add(total, mul(div(kl, t.visible), p_.map_weight));
    }
    return total;
  }

  std::vector<std::vector<Person>> decode(const std::vector<Tensor>& outputs) const override {
    std::vector<float> score = heatmap_scores(outputs[0], g_);
    if (p_.decode_window > 0) return single_people(windowed_coordinates(outputs[0]), score, g_);
    return single_people(to_vector<float>(to(coordinates(outputs[0]), Device::cpu())), score, g_);
  }

 private:
  // [B*K*2] in input pixels: softmax(beta * map) restricted to the window around each map's first
  // maximum, its expectation (host code: decoding only, no gradient).
  std::vector<float> windowed_coordinates(const Tensor& maps) const {
    const std::vector<float> v = to_vector<float>(to(contiguous(maps.detach()), Device::cpu()));
    const int64_t n = maps.size(0) * g_.K, cells = g_.Hh * g_.Wh, R = p_.decode_window;
    std::vector<double> xy(static_cast<size_t>(2 * n));  // in cells
    for (int64_t m = 0; m < n; ++m) {
      const float* map = v.data() + m * cells;
      const int64_t peak = std::max_element(map, map + cells) - map;
      const int64_t r0 = peak / g_.Wh, c0 = peak % g_.Wh;
      double total = 0, sx = 0, sy = 0;
      for (int64_t r = std::max<int64_t>(0, r0 - R); r <= std::min(g_.Hh - 1, r0 + R); ++r)
        for (int64_t c = std::max<int64_t>(0, c0 - R); c <= std::min(g_.Wh - 1, c0 + R); ++c) {
          const double w = std::exp(p_.beta * (static_cast<double>(map[r * g_.Wh + c]) - map[peak]));
          total += w, sx += w * static_cast<double>(c), sy += w * static_cast<double>(r);
        }
      xy[2 * m] = sx / total;
      xy[2 * m + 1] = sy / total;
    }
    return to_vector<float>(to(cells_to_pixels(from_vector(xy, {n, 2}), g_.s), DType::f32));
  }

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
