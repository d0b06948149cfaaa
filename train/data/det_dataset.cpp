// Loading a COCO-format detection directory into tensors (see det_dataset.h).
#include "train/data/det_dataset.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <set>

#include "core/thread_pool.h"
#include "kernels/copy/copy.h"
#include "kernels/fill/fill.h"
#include "train/data/corrupt_images.h"
#include "train/io/coco_detection.h"
#include "train/io/coco_rle.h"

namespace oc {
namespace {

// The loader's slot rule: the non-crowd objects in order, the first `max_objects` of them (slot k =
// position k).
std::vector<const CocoDetAnnotation*> slot_objects(const std::vector<const CocoDetAnnotation*>& objects,
                                                   int64_t max_objects) {
  std::vector<const CocoDetAnnotation*> slots;
  for (const CocoDetAnnotation* a : objects)
    if (!a->iscrowd && static_cast<int64_t>(slots.size()) < max_objects) slots.push_back(a);
  return slots;
}

// A target row: (label, x1, y1, x2, y2) per slot; the empty slots are all -1 (label -1).
void write_box_row(const std::vector<const CocoDetAnnotation*>& slots, const std::map<int64_t, int64_t>& label_of,
                   int64_t max_objects, float* row) {
  std::fill(row, row + max_objects * 5, -1.0f);
  for (size_t k = 0; k < slots.size(); ++k) {
    const CocoDetAnnotation* a = slots[k];
    float* t = row + k * 5;
    t[0] = static_cast<float>(label_of.at(a->category_id));
    t[1] = static_cast<float>(a->bbox[0]), t[2] = static_cast<float>(a->bbox[1]);
    t[3] = static_cast<float>(a->bbox[0] + a->bbox[2]), t[4] = static_cast<float>(a->bbox[1] + a->bbox[3]);
  }
}

// An object's mask as row-major uint8 [H,W] of 0/1 into `out`: its RLE decoded, or without one its
// box, the pixels whose centres (u + 0.5, v + 0.5) lie in [x1, x2) x [y1, y2).
void write_object_mask(const CocoDetAnnotation& a, int64_t H, int64_t W, uint8_t* out) {
  if (a.mask) {
    OC_CHECK(a.mask->height == H && a.mask->width == W, "detection data: annotation ", a.id, "'s mask is ",
             a.mask->height, " x ", a.mask->width, ", the image ", H, " x ", W);
    const std::vector<uint8_t> m = rle_decode(*a.mask);  // row-major already
    std::copy(m.begin(), m.end(), out);
    return;
  }
  std::fill(out, out + H * W, uint8_t(0));
  // The first pixel whose centre is >= edge: ceil(edge - 0.5), clamped to [0, n].
  auto first_centre_at = [](double edge, int64_t n) {
    return std::clamp<int64_t>(static_cast<int64_t>(std::ceil(edge - 0.5)), 0, n);
  };
  const int64_t u0 = first_centre_at(a.bbox[0], W), u1 = first_centre_at(a.bbox[0] + a.bbox[2], W);
  const int64_t v0 = first_centre_at(a.bbox[1], H), v1 = first_centre_at(a.bbox[1] + a.bbox[3], H);
  for (int64_t v = v0; v < v1; ++v) std::fill(out + v * W + u0, out + v * W + std::max(u0, u1), uint8_t(1));
}

// A sample's mask slots, uint8 [M,H,W]: slot k = slots[k]'s mask, zeros in the empty slots.
void write_mask_slots(const std::vector<const CocoDetAnnotation*>& slots, int64_t max_objects, int64_t H, int64_t W,
                      uint8_t* out) {
  std::fill(out, out + max_objects * H * W, uint8_t(0));
  for (size_t k = 0; k < slots.size(); ++k) write_object_mask(*slots[k], H, W, out + static_cast<int64_t>(k) * H * W);
}

// Labels are the categories in ascending id order.
void sort_by_label(std::vector<CocoDetCategory>& categories) {
  std::sort(categories.begin(), categories.end(),
            [](const CocoDetCategory& a, const CocoDetCategory& b) { return a.id < b.id; });
}

// Leaves out the images that could not be read, with their annotations, and notes what was skipped.
void keep_readable(DetDataset& ds, const SplitImageReader& reader, const std::string& where) {
  const std::vector<int64_t> kept = reader.kept(where);
  ds.data.skipped = reader.skipped();
  if (ds.data.skipped.skipped == 0) return;
  keep_samples(ds.data, kept);
  keep_items(ds.coco.images, kept);
  std::set<int64_t> kept_ids;
  for (const CocoDetImage& im : ds.coco.images) kept_ids.insert(im.id);
  std::vector<CocoDetAnnotation> annotations;
  for (const CocoDetAnnotation& a : ds.coco.annotations)
    if (kept_ids.count(a.image_id)) annotations.push_back(a);
  ds.coco.annotations = std::move(annotations);
}

}  // namespace

DetDataset load_detection_dataset(const std::string& dir, int64_t max_objects, int64_t limit, bool with_masks,
                                  bool skip_corrupt) {
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
  ds.data.targets = Tensor::empty({n, max_objects, 5}, DType::f32);
  float* targets = ds.data.targets.data<float>();
  for (int64_t i = 0; i < n; ++i)
    write_box_row(slot_objects(per_image[i], max_objects), label_of, max_objects, targets + i * max_objects * 5);
  uint8_t* masks = nullptr;
  if (with_masks) {
    ds.data.masks = Tensor::empty({n, max_objects, H, W}, DType::u8);
    masks = ds.data.masks.data<uint8_t>();
  }
  uint8_t* pixels = ds.data.images.data<uint8_t>();
  const std::filesystem::path image_dir = root / "images";
  SplitImageReader reader(n, skip_corrupt);
  parallel_for(0, n, 8, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      if (masks) write_mask_slots(slot_objects(per_image[i], max_objects), max_objects, H, W,
                                  masks + i * max_objects * H * W);
      const std::string path = (image_dir / coco.images[i].file_name).string();
      Tensor img = reader.read(i, path, 3);
      if (!img.defined()) continue;  // left out below
      img = contiguous(img);
      OC_CHECK(img.size(1) == H && img.size(2) == W, path, ": the image is ", img.size(2), " x ", img.size(1), " but ",
               ann, " says ", W, " x ", H);
      std::memcpy(pixels + i * 3 * H * W, img.data<uint8_t>(), static_cast<size_t>(3 * H * W));
    }
  });
  keep_readable(ds, reader, str_cat("detection data ", dir));
  return ds;
}

const char* const kDetectionAugmentKeys = "horizontal_flip, affine_scale_min and affine_scale_max";

std::string unsupported_detection_augment_key(const AugmentOptions& a) {
  const AugmentOptions defaults;
  if (a.random_crop_padding != defaults.random_crop_padding) return "random_crop_padding";
  if (a.affine_degrees != defaults.affine_degrees) return "affine_degrees";
  if (a.affine_translate != defaults.affine_translate) return "affine_translate";
  return "";
}

DetAugmentOptions detection_augment_options(const AugmentOptions& a, int64_t height, int64_t width) {
  const std::string key = unsupported_detection_augment_key(a);
  OC_CHECK(key.empty(), "data.augment.", key, ": detection augmentation takes only ", kDetectionAugmentKeys,
           " (a flip and a scale, cropped to the image size)");
  DetAugmentOptions o;
  o.width = width, o.height = height;
  o.horizontal_flip = a.horizontal_flip;
  o.scale_min = a.affine_scale_min, o.scale_max = a.affine_scale_max;
  o.check();
  return o;
}

void set_detection_augment(DetDataset& ds, const DetAugmentOptions& opt) {
  opt.check();
  const Tensor& images = ds.data.images;
  const int64_t n = ds.data.size(), H = images.size(2), W = images.size(3), max_objects = ds.data.targets.size(1);
  OC_CHECK(opt.height == H && opt.width == W, "detection augment: the crop is ", opt.width, " x ", opt.height,
           " but the images are ", W, " x ", H);
  // What every call reads, shared and never changed after this point (the transform is reentrant).
  struct Source {
    DetAugmentOptions opt;
    int64_t height, width, max_objects;
    std::map<int64_t, int64_t> label_of;
    std::vector<std::vector<CocoDetAnnotation>> objects;  // non-crowd, by image, in file order
  };
  auto src = std::make_shared<Source>();
  src->opt = opt, src->height = H, src->width = W, src->max_objects = max_objects;
  for (size_t l = 0; l < ds.category_ids.size(); ++l) src->label_of[ds.category_ids[l]] = static_cast<int64_t>(l);
  std::map<int64_t, int64_t> index_of_image;
  for (int64_t i = 0; i < n; ++i) index_of_image[ds.coco.images[i].id] = i;
  src->objects.resize(static_cast<size_t>(n));
  for (const CocoDetAnnotation& a : ds.coco.annotations)
    if (!a.iscrowd) src->objects[index_of_image.at(a.image_id)].push_back(a);
  std::shared_ptr<const Source> shared = src;
  ds.data.transform = [shared](int64_t index, uint64_t seed, const Tensor& image, float* target, uint8_t* masks) {
    const Source& s = *shared;
    const DetAugmentDraw draw = draw_det_augment(s.opt, seed, static_cast<uint64_t>(index), s.height, s.width);
    DetSample out = augment_detection(image, s.objects[static_cast<size_t>(index)], s.opt, draw);
    std::vector<const CocoDetAnnotation*> kept;
    for (const CocoDetAnnotation& a : out.objects) kept.push_back(&a);
    const std::vector<const CocoDetAnnotation*> slots = slot_objects(kept, s.max_objects);
    if (target) write_box_row(slots, s.label_of, s.max_objects, target);
    if (masks) write_mask_slots(slots, s.max_objects, s.height, s.width, masks);
    return out.image;
  };
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
