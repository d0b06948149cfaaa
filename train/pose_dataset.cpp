// Loading a COCO-format pose directory into tensors (see pose_dataset.h).
#include "train/pose_dataset.h"

#include <cstring>
#include <filesystem>

#include "core/thread_pool.h"
#include "kernels/fill/fill.h"
#include "train/coco_keypoints.h"

namespace oc {

PoseDataset load_pose_dataset(const std::string& dir, int64_t max_people, int64_t limit) {
  OC_CHECK(max_people >= 1, "pose data ", dir, ": max_people must be >= 1, got ", max_people);
  const std::string ann = (std::filesystem::path(dir) / "annotations.json").string();
  OC_CHECK(std::filesystem::exists(ann), "pose data ", dir, ": no annotations.json (expected DIR/annotations.json and "
           "DIR/images/, as `ocellus data pose-synth --out DIR` writes)");
  CocoKeypoints coco = read_coco_keypoints(ann);
  int64_t n = static_cast<int64_t>(coco.images.size());
  if (limit > 0 && limit < n) n = limit;
  OC_CHECK(n > 0, ann, ": no images");
  const int64_t H = coco.images[0].height, W = coco.images[0].width;
  const int64_t K = static_cast<int64_t>(coco.skeleton.joint_names.size());
  for (int64_t i = 0; i < n; ++i)
    OC_CHECK(coco.images[i].height == H && coco.images[i].width == W, ann, ": image ", coco.images[i].file_name, " is ",
             coco.images[i].width, " x ", coco.images[i].height, " but the first is ", W, " x ", H,
             " (training needs one size)");
  PoseDataset ds;
  ds.skeleton = coco.skeleton;
  ds.people.assign(coco.people.begin(), coco.people.begin() + n);
  for (int64_t i = 0; i < n; ++i) ds.image_ids.push_back(coco.images[i].id);
  ds.data.images = Tensor::empty({n, 3, H, W}, DType::u8);
  ds.data.labels = zeros({n}, DType::i64);
  ds.data.targets = zeros({n, max_people, K, 3}, DType::f32);
  const std::string image_dir = (std::filesystem::path(dir) / "images").string();
  uint8_t* pixels = ds.data.images.data<uint8_t>();
  float* targets = ds.data.targets.data<float>();
  parallel_for(0, n, 8, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      Tensor img = read_coco_image(coco, image_dir, static_cast<size_t>(i));
      std::memcpy(pixels + i * 3 * H * W, img.data<uint8_t>(), static_cast<size_t>(3 * H * W));
      int64_t slot = 0;
      for (const Person& p : coco.people[i]) {
        if (p.crowd || slot >= max_people) continue;
        OC_CHECK(static_cast<int64_t>(p.keypoints.size()) == K, ann, ": annotation ", p.id, " has ",
                 p.keypoints.size(), " keypoints, the skeleton ", K);
        float* t = targets + (i * max_people + slot) * K * 3;
        for (int64_t k = 0; k < K; ++k) {
          const Keypoint& kp = p.keypoints[k];
          t[3 * k] = kp.x - 0.5f;
          t[3 * k + 1] = kp.y - 0.5f;
          t[3 * k + 2] = static_cast<float>(kp.v);
        }
        ++slot;
      }
    }
  });
  ds.data.num_classes = 0;
  return ds;
}

}  // namespace oc
