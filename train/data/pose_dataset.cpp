// Loading a COCO-format pose directory into tensors (see pose_dataset.h).
#include "train/data/pose_dataset.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <filesystem>

#include "core/thread_pool.h"
#include "kernels/fill/fill.h"
#include "train/data/corrupt_images.h"
#include "train/io/coco_keypoints.h"

namespace oc {
namespace {

// images[index] of the file read through `reader` as `sample` (undefined when skipped); as in
// read_coco_image, a size other than the annotations' is an error naming both.
Tensor read_annotated_image(SplitImageReader& reader, int64_t sample, const CocoKeypoints& coco,
                            const std::string& image_dir, size_t index) {
  const CocoImage& im = coco.images[index];
  const std::string file = (std::filesystem::path(image_dir) / im.file_name).string();
  Tensor t = reader.read(sample, file, 3);
  OC_CHECK(!t.defined() || (t.size(1) == im.height && t.size(2) == im.width), file, " is ", t.size(2), " x ",
           t.size(1), " but the annotations say ", im.width, " x ", im.height, " (image id ", im.id, ")");
  return t;
}

// Leaves out the samples whose image could not be read, and notes what was skipped.
void keep_readable(PoseDataset& ds, const SplitImageReader& reader, const std::string& where) {
  const std::vector<int64_t> kept = reader.kept(where);
  keep_samples(ds.data, kept);
  keep_items(ds.people, kept);
  keep_items(ds.image_ids, kept);
  keep_items(ds.to_image, kept);
  ds.data.skipped = reader.skipped();
}

}  // namespace

PoseDataset load_pose_dataset(const std::string& dir, int64_t max_people, int64_t limit, bool skip_corrupt) {
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
  ds.to_image.assign(static_cast<size_t>(n), Homography{});
  ds.data.images = Tensor::empty({n, 3, H, W}, DType::u8);
  ds.data.labels = zeros({n}, DType::i64);
  ds.data.targets = zeros({n, max_people, K, 3}, DType::f32);
  const std::string image_dir = (std::filesystem::path(dir) / "images").string();
  uint8_t* pixels = ds.data.images.data<uint8_t>();
  float* targets = ds.data.targets.data<float>();
  SplitImageReader reader(n, skip_corrupt);
  parallel_for(0, n, 8, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      Tensor img = read_annotated_image(reader, i, coco, image_dir, static_cast<size_t>(i));
      if (!img.defined()) continue;  // left out below
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
  keep_readable(ds, reader, str_cat("pose data ", dir));
  return ds;
}

PoseDataset load_pose_crops(const std::string& dir, const PoseAugmentOptions& crop, bool augment, uint64_t seed,
                            int64_t limit, bool skip_corrupt) {
  crop.check();
  const std::string ann = (std::filesystem::path(dir) / "annotations.json").string();
  OC_CHECK(std::filesystem::exists(ann), "pose data ", dir, ": no annotations.json");
  CocoKeypoints coco = read_coco_keypoints(ann);
  struct Ref {
    size_t image, person;
  };
  std::vector<Ref> refs;
  for (size_t i = 0; i < coco.images.size(); ++i)
    for (size_t j = 0; j < coco.people[i].size(); ++j) {
      const Person& p = coco.people[i][j];
      bool labelled = false;
      for (const Keypoint& k : p.keypoints) labelled = labelled || k.v > 0;
      if (!p.crowd && labelled) refs.push_back({i, j});
    }
  if (limit > 0 && limit < static_cast<int64_t>(refs.size())) refs.resize(static_cast<size_t>(limit));
  const int64_t n = static_cast<int64_t>(refs.size()), S = crop.size;
  const int64_t K = static_cast<int64_t>(coco.skeleton.joint_names.size());
  OC_CHECK(n > 0, ann, ": no person with a labelled joint");
  PoseDataset ds;
  ds.skeleton = coco.skeleton;
  ds.people.resize(static_cast<size_t>(n));
  ds.image_ids.resize(static_cast<size_t>(n));
  ds.to_image.resize(static_cast<size_t>(n));
  ds.data.images = Tensor::empty({n, 3, S, S}, DType::u8);
  ds.data.labels = zeros({n}, DType::i64);
  ds.data.targets = zeros({n, 1, K, 3}, DType::f32);
  const std::string image_dir = (std::filesystem::path(dir) / "images").string();
  uint8_t* pixels = ds.data.images.data<uint8_t>();
  float* targets = ds.data.targets.data<float>();
  SplitImageReader reader(n, skip_corrupt);
  parallel_for(0, n, 4, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const Ref& r = refs[static_cast<size_t>(i)];
      const Person& person = coco.people[r.image][r.person];
      const PoseAugmentDraw draw = augment ? draw_pose_augment(crop, seed, static_cast<uint64_t>(i)) : PoseAugmentDraw{};
      const Tensor image = read_annotated_image(reader, i, coco, image_dir, r.image);
      if (!image.defined()) continue;  // left out below
      PoseSample sample = crop_person(image, person, coco.skeleton, crop, draw);
      const float* src = sample.image.data<float>();
      for (int64_t k = 0; k < 3 * S * S; ++k)
        pixels[i * 3 * S * S + k] = static_cast<uint8_t>(std::lround(std::clamp(src[k], 0.0f, 1.0f) * 255.0f));
      Person in_crop = person;
      in_crop.keypoints = sample.keypoints;
      // The box and area as seen in the crop: the box of the labelled joints scaled like the person.
      float x0 = 1e30f, y0 = 1e30f, x1 = -1e30f, y1 = -1e30f;
      for (int64_t k = 0; k < K; ++k) {
        const Keypoint& kp = sample.keypoints[static_cast<size_t>(k)];
        float* t = targets + (i * K + k) * 3;
        t[0] = kp.x - 0.5f, t[1] = kp.y - 0.5f, t[2] = static_cast<float>(kp.v);
        if (kp.v > 0) x0 = std::min(x0, kp.x), y0 = std::min(y0, kp.y), x1 = std::max(x1, kp.x), y1 = std::max(y1, kp.y);
      }
      const Homography& h = sample.to_crop;
      const double det = std::fabs(h.m[0] * h.m[4] - h.m[1] * h.m[3]);  // area scale of the (affine) crop
      in_crop.bbox = x1 >= x0 ? std::array<float, 4>{x0, y0, x1 - x0, y1 - y0} : std::array<float, 4>{0, 0, 0, 0};
      in_crop.area = static_cast<float>(person.area * det);
      in_crop.image_id = coco.images[r.image].id;
      ds.people[static_cast<size_t>(i)] = {in_crop};
      ds.image_ids[static_cast<size_t>(i)] = coco.images[r.image].id;
      ds.to_image[static_cast<size_t>(i)] = sample.to_image;
    }
  });
  keep_readable(ds, reader, str_cat("pose data ", dir));
  return ds;
}

}  // namespace oc
