// Loading a COCO-format detection directory into tensors (see det_dataset.h).
#include "train/data/det_dataset.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>

#include "core/thread_pool.h"
#include "kernels/copy/copy.h"
#include "kernels/fill/fill.h"
#include "train/io/coco_detection.h"
#include "train/io/image_io.h"

namespace oc {
namespace {

// Labels are the categories in ascending id order.
void sort_by_label(std::vector<CocoDetCategory>& categories) {
  std::sort(categories.begin(), categories.end(),
            [](const CocoDetCategory& a, const CocoDetCategory& b) { return a.id < b.id; });
}

}  // namespace

DetDataset load_detection_dataset(const std::string& dir, int64_t max_objects, int64_t limit) {
  OC_CHECK(max_objects >= 1, "detection data ", dir, ": max_objects must be >= 1, got ", max_objects);
  const std::filesystem::path root(dir);
  const std::string ann = (root / "annotations.json").string();
  OC_CHECK(std::filesystem::exists(ann), "detection data ", dir, ": no annotations.json (expected DIR/annotations.json "
           "and DIR/images/, as `ocellus data det-synth --out DIR` writes)");
  DetDataset ds;
  ds.coco = read_coco_detection(ann);
  CocoDetDataset& coco = ds.coco;
  OC_CHECK(!coco.images.empty(), ann, ": no images");
  OC_CHECK(!coco.categories.empty(), ann, ": no categories");
  if (limit > 0 && limit < static_cast<int64_t>(coco.images.size())) coco.images.resize(static_cast<size_t>(limit));
  const int64_t n = static_cast<int64_t>(coco.images.size());
  const int64_t H = coco.images[0].height, W = coco.images[0].width;
  std::map<int64_t, int64_t> index_of_image;
  for (int64_t i = 0; i < n; ++i) {
    const CocoDetImage& im = coco.images[i];
    OC_CHECK(im.height == H && im.width == W, ann, ": image ", im.file_name, " is ", im.width, " x ", im.height,
             " but the first is ", W, " x ", H, " (training needs one size)");
    index_of_image[im.id] = i;
  }
  sort_by_label(coco.categories);
  std::map<int64_t, int64_t> label_of;
  for (const CocoDetCategory& c : coco.categories) {
    label_of[c.id] = static_cast<int64_t>(ds.category_ids.size());
    ds.category_ids.push_back(c.id);
    ds.data.class_names.push_back(c.name);
  }
  ds.data.num_classes = static_cast<int64_t>(ds.category_ids.size());
  // Only the kept images' annotations stay in the ground truth.
  std::vector<CocoDetAnnotation> kept;
  std::vector<std::vector<const CocoDetAnnotation*>> per_image(static_cast<size_t>(n));
  for (const CocoDetAnnotation& a : coco.annotations)
    if (index_of_image.count(a.image_id)) kept.push_back(a);
  coco.annotations = std::move(kept);
  for (const CocoDetAnnotation& a : coco.annotations) per_image[index_of_image[a.image_id]].push_back(&a);

  ds.data.images = Tensor::empty({n, 3, H, W}, DType::u8);
  ds.data.labels = zeros({n}, DType::i64);
  ds.data.targets = full({n, max_objects, 5}, -1, DType::f32);
  float* targets = ds.data.targets.data<float>();
  for (int64_t i = 0; i < n; ++i) {
    int64_t slot = 0;
    for (const CocoDetAnnotation* a : per_image[i]) {
      if (a->iscrowd || slot >= max_objects) continue;
      float* t = targets + (i * max_objects + slot++) * 5;
      t[0] = static_cast<float>(label_of.at(a->category_id));
      t[1] = static_cast<float>(a->bbox[0]), t[2] = static_cast<float>(a->bbox[1]);
      t[3] = static_cast<float>(a->bbox[0] + a->bbox[2]), t[4] = static_cast<float>(a->bbox[1] + a->bbox[3]);
    }
  }
  uint8_t* pixels = ds.data.images.data<uint8_t>();
  const std::filesystem::path image_dir = root / "images";
  parallel_for(0, n, 8, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const std::string path = (image_dir / coco.images[i].file_name).string();
      Tensor img = contiguous(read_image(path, 3));
      OC_CHECK(img.size(1) == H && img.size(2) == W, path, ": the image is ", img.size(2), " x ", img.size(1), " but ",
               ann, " says ", W, " x ", H);
      std::memcpy(pixels + i * 3 * H * W, img.data<uint8_t>(), static_cast<size_t>(3 * H * W));
    }
  });
  return ds;
}

std::vector<std::string> read_detection_class_names(const std::string& dir) {
  const std::string ann = (std::filesystem::path(dir) / "annotations.json").string();
  OC_CHECK(std::filesystem::exists(ann), "detection data ", dir, ": no annotations.json (the class names come from it)");
  std::vector<CocoDetCategory> cats = read_coco_detection(ann).categories;
  sort_by_label(cats);
  std::vector<std::string> names;
  for (const CocoDetCategory& c : cats) names.push_back(c.name);
  return names;
}

}  // namespace oc
