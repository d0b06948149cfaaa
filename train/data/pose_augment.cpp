// Pose augmentation: the image through apply_augment, the joints through augment_point (see
// pose_augment.h).
#include "train/data/pose_augment.h"

#include <algorithm>
#include <memory>
#include <vector>

#include "kernels/copy/copy.h"

namespace oc {

void augment_pose_targets(const AugmentDraw& draw, const Skeleton& skeleton, int64_t H, int64_t W,
                          int64_t crop_padding, int64_t people, float* target) {
  const size_t K = skeleton.joint_names.size();
  const std::vector<size_t> partner = joint_sources(skeleton, draw.flip);
  std::vector<float> in(3 * K);
  for (int64_t p = 0; p < people; ++p) {
    float* person = target + p * static_cast<int64_t>(3 * K);
    std::copy(person, person + 3 * K, in.begin());
    for (size_t j = 0; j < K; ++j) {
      const float* q = in.data() + 3 * partner[j];
      float* out = person + 3 * j;
      out[0] = out[1] = out[2] = 0;
      if (q[2] == 0) continue;
      double x = q[0], y = q[1];
      if (!augment_point(draw, H, W, crop_padding, x, y)) continue;  // its pixels are gone: unlabelled
      out[0] = static_cast<float>(x), out[1] = static_cast<float>(y), out[2] = q[2];
    }
  }
}

void set_pose_augment(PoseDataset& ds, const AugmentOptions& opt) {
  opt.check();
  const Tensor& images = ds.data.images;
  const Tensor& targets = ds.data.targets;
  const int64_t K = static_cast<int64_t>(ds.skeleton.joint_names.size());
  OC_CHECK(images.dim() == 4 && targets.dim() == 4 && targets.size(2) == K && targets.size(3) == 3,
           "pose augment: expected images [N,C,H,W] and targets [N,P,K,3] with K = ", K, " joints, got ",
           images.str(), " and ", targets.str());
  struct Source {  // what every call reads, never changed after this point (the transform is reentrant)
    AugmentOptions opt;
    Skeleton skeleton;
    int64_t people;
  };
  auto src = std::make_shared<const Source>(Source{opt, ds.skeleton, targets.size(1)});
  ds.data.transform = [src](int64_t index, uint64_t seed, const Tensor& image, float* target, uint8_t*) {
    const int64_t C = image.size(0), H = image.size(1), W = image.size(2);
    const AugmentDraw draw = draw_augment_for_sample(src->opt, H, W, seed, index);
    const Tensor in = contiguous(image);
    Tensor out = Tensor::empty({C, H, W}, DType::u8);
    std::vector<uint8_t> scratch(static_cast<size_t>(C * H * W));
    const int64_t pad = src->opt.random_crop_padding;
    apply_augment(in.data<uint8_t>(), out.data<uint8_t>(), scratch.data(), C, H, W, draw, pad);
    augment_pose_targets(draw, src->skeleton, H, W, pad, src->people, target);
    return out;
  };
}

}  // namespace oc
