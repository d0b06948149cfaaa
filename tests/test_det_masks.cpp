// Instance masks through the detection data path (Mask R-CNN): det_coco decodes each slotted
// object's mask (or rasterizes its box) into ImageDataset::masks, the loader gathers them into
// Batch::masks, and the training transform rewrites them with the boxes, slot for slot.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <random>

#include "tests/helpers.h"
#include "train/data/datasets.h"
#include "train/data/det_augment.h"
#include "train/data/det_dataset.h"
#include "train/data/loader.h"
#include "train/io/coco_detection.h"
#include "train/io/coco_rle.h"
#include "train/io/image_io.h"

using namespace oc;

namespace {

// Random pixels for a det_coco image of height x width, written to dir/images/name.
void write_random_image(const std::string& dir, const std::string& name, int64_t height, int64_t width,
                        std::mt19937& rng) {
  std::vector<uint8_t> px(static_cast<size_t>(3 * height * width));
  for (uint8_t& v : px) v = static_cast<uint8_t>(rng() % 256);
  write_png(dir + "/images/" + name, from_vector(px, {3, height, width}));
}

// A row-major height x width mask with the listed (row, column) pixels set.
std::vector<uint8_t> mask_with(int64_t height, int64_t width, const std::vector<std::pair<int64_t, int64_t>>& pixels) {
  std::vector<uint8_t> m(static_cast<size_t>(height * width), 0);
  for (const auto& [v, u] : pixels) m[static_cast<size_t>(v * width + u)] = 1;
  return m;
}

// Slot k of sample i of a uint8 [N,M,H,W] tensor's values.
std::vector<uint8_t> slot_of(const std::vector<uint8_t>& masks, int64_t i, int64_t k, int64_t M, int64_t hw) {
  const size_t begin = static_cast<size_t>((i * M + k) * hw);
  return std::vector<uint8_t>(masks.begin() + begin, masks.begin() + begin + hw);
}

// ---- (a) a hand-written directory: 12 x 10 images (not square, so a transposed mask shows), M = 2.
constexpr int64_t kHandH = 12, kHandW = 10, kHandM = 2;

// Expected pixels of its objects, by hand:
// An L: column 1 on rows 2..6 and row 6 on columns 1..4 (tight box x 1, y 2, w 4, h 5).
std::vector<uint8_t> hand_l() {
  return mask_with(kHandH, kHandW, {{2, 1}, {3, 1}, {4, 1}, {5, 1}, {6, 1}, {6, 2}, {6, 3}, {6, 4}});
}
// Three far corners: top right, the pixel below it, bottom left.
std::vector<uint8_t> hand_corners() { return mask_with(kHandH, kHandW, {{0, 9}, {1, 9}, {11, 0}}); }

void write_hand_dir(const std::string& dir) {
  std::mt19937 rng(3);
  std::filesystem::create_directories(dir + "/images");
  CocoDetDataset c;
  c.categories = {{5, "five"}, {2, "two"}};  // labels by ascending id: 2 -> 0, 5 -> 1
  for (int64_t i = 0; i < 4; ++i) {
    const std::string name = "h" + std::to_string(i) + ".png";
    write_random_image(dir, name, kHandH, kHandW, rng);
    c.images.push_back({100 + i, name, kHandW, kHandH});
  }
  auto object = [&](int64_t id, int64_t image, int64_t category, std::array<double, 4> box) {
    CocoDetAnnotation a;
    a.id = id, a.image_id = image, a.category_id = category, a.bbox = box, a.area = box[2] * box[3];
    return a;
  };
  // Image 0: the L, a crowd region (takes no slot), a box without a mask (slot 1), and a third object
  // beyond M.
  CocoDetAnnotation l = object(1, 100, 5, {1, 2, 4, 5});
  const std::vector<uint8_t> lm = hand_l();
  l.mask = rle_encode(lm.data(), kHandH, kHandW);
  l.area = 8;
  c.annotations.push_back(l);
  CocoDetAnnotation crowd = object(2, 100, 2, {0, 0, 10, 12});
  crowd.iscrowd = true;
  c.annotations.push_back(crowd);
  c.annotations.push_back(object(3, 100, 2, {1.5, 2, 3, 2.5}));
  CocoDetAnnotation extra = object(4, 100, 5, {5, 5, 2, 2});
  const std::vector<uint8_t> em = mask_with(kHandH, kHandW, {{5, 5}, {6, 6}});
  extra.mask = rle_encode(em.data(), kHandH, kHandW);
  c.annotations.push_back(extra);
  // Image 1: one object, the corners; slot 1 empty.
  CocoDetAnnotation corners = object(5, 101, 2, {0, 0, 10, 12});
  const std::vector<uint8_t> cm = hand_corners();
  corners.mask = rle_encode(cm.data(), kHandH, kHandW);
  corners.area = 3;
  c.annotations.push_back(corners);
  // Image 2: no objects. Image 3: a box holding no pixel centre, then a box of the whole image.
  c.annotations.push_back(object(6, 103, 5, {2.6, 3, 0.8, 2}));
  c.annotations.push_back(object(7, 103, 2, {0, 0, 10, 12}));
  write_coco_detection(dir + "/annotations.json", c);
}

// ---- (b), (d): random objects on 24 x 36 images, M = 3 (some images hold more).
constexpr int64_t kH = 24, kW = 36, kImages = 9, kM = 3;

// Each image has 1 to 5 objects: ellipses with their tight box as bbox, every third one a box
// without a mask; the first image also has a crowd region.
void write_random_dir(const std::string& dir, uint32_t seed) {
  std::mt19937 rng(seed);
  std::filesystem::create_directories(dir + "/images");
  CocoDetDataset c;
  c.categories = {{4, "four"}, {9, "nine"}};
  int64_t id = 1;
  for (int64_t i = 0; i < kImages; ++i) {
    const std::string name = "r" + std::to_string(i) + ".png";
    write_random_image(dir, name, kH, kW, rng);
    c.images.push_back({10 + i, name, kW, kH});
    const int64_t objects = 1 + static_cast<int64_t>(rng() % 5);
    for (int64_t k = 0; k < objects; ++k) {
      CocoDetAnnotation a;
      a.id = id++, a.image_id = 10 + i, a.category_id = rng() % 2 ? 4 : 9;
      const int64_t w = 5 + rng() % 14, h = 5 + rng() % 12;
      const int64_t x = rng() % (kW - w + 1), y = rng() % (kH - h + 1);
      if (a.id % 3 == 0) {
        a.bbox = {double(x) + 0.25, double(y) + 0.5, double(w) - 0.75, double(h) - 0.5};
        a.area = a.bbox[2] * a.bbox[3];
      } else {
        std::vector<uint8_t> m(static_cast<size_t>(kH * kW), 0);
        const double cx = x + w / 2.0, cy = y + h / 2.0;
        for (int64_t v = y; v < y + h; ++v)
          for (int64_t u = x; u < x + w; ++u) {
            const double dx = (u + 0.5 - cx) / (w / 2.0), dy = (v + 0.5 - cy) / (h / 2.0);
            m[static_cast<size_t>(v * kW + u)] = dx * dx + dy * dy <= 1;
          }
        a.mask = rle_encode(m.data(), kH, kW);
        a.bbox = rle_bbox(*a.mask);
        a.area = static_cast<double>(rle_area(*a.mask));
      }
      c.annotations.push_back(a);
    }
  }
  CocoDetAnnotation crowd;
  crowd.id = id++, crowd.image_id = 10, crowd.category_id = 4, crowd.iscrowd = true;
  crowd.bbox = {2, 2, 20, 12};
  crowd.area = 240;
  c.annotations.push_back(crowd);
  write_coco_detection(dir + "/annotations.json", c);
}

// det_coco settings with a flip and a scale in [0.75, 1.25].
DataSettings settings(const std::string& train_dir, const std::string& test_dir) {
  DataSettings d;
  d.dataset = "det_coco";
  d.train_dir = train_dir, d.test_dir = test_dir;
  d.loader.batch_size = 4;
  d.loader.seed = 21;
  d.loader.workers = 1;
  d.loader.augment.horizontal_flip = true;
  d.loader.augment.affine_scale_min = 0.75;
  d.loader.augment.affine_scale_max = 1.25;
  return d;
}

DetDataset load(const DataSettings& d, const std::string& split, bool with_masks) {
  return dataset_registry().at("det_coco", "data.dataset").factory.load_detections(d, split, kM, with_masks);
}

// One epoch's batches concatenated in batch order.
struct EpochData {
  std::vector<float> images, targets;
  std::vector<uint8_t> masks;
  bool masks_defined = true;
};
EpochData run(DataLoader& loader, int64_t epoch) {
  EpochData e;
  loader.start_epoch(epoch);
  Batch b;
  while (loader.next(b)) {
    const std::vector<float> im = to_vector<float>(b.images), t = to_vector<float>(b.targets);
    e.images.insert(e.images.end(), im.begin(), im.end());
    e.targets.insert(e.targets.end(), t.begin(), t.end());
    e.masks_defined &= b.masks.defined();
    if (!b.masks.defined()) continue;
    CHECK(b.masks.dtype() == DType::u8);
    CHECK(b.masks.shape() == (Shape{b.images.size(0), kM, kH, kW}));
    const std::vector<uint8_t> m = to_vector<uint8_t>(b.masks);
    e.masks.insert(e.masks.end(), m.begin(), m.end());
  }
  return e;
}

// The box rule written out independently: pixel (u, v) is in when its centre lies in [x1, x2) x [y1, y2).
std::vector<uint8_t> box_mask(const std::array<double, 4>& bbox, int64_t height, int64_t width) {
  std::vector<uint8_t> m(static_cast<size_t>(height * width), 0);
  for (int64_t v = 0; v < height; ++v)
    for (int64_t u = 0; u < width; ++u)
      m[static_cast<size_t>(v * width + u)] = bbox[0] <= u + 0.5 && u + 0.5 < bbox[0] + bbox[2] && bbox[1] <= v + 0.5 &&
                                              v + 0.5 < bbox[1] + bbox[3];
  return m;
}

// Sample s's mask slots under augment_detection's draw: the kept objects in order, the first M.
std::vector<uint8_t> expected_augmented_masks(const DetDataset& plain, int64_t s, const DetAugmentOptions& opt,
                                              uint64_t seed) {
  std::vector<CocoDetAnnotation> objects;
  for (const CocoDetAnnotation& a : plain.coco.annotations)
    if (a.image_id == plain.coco.images[s].id && !a.iscrowd) objects.push_back(a);
  const DetAugmentDraw draw = draw_det_augment(opt, seed, static_cast<uint64_t>(s), kH, kW);
  const DetSample out = augment_detection(contiguous(select(plain.data.images, 0, s)), objects, opt, draw);
  std::vector<uint8_t> slots(static_cast<size_t>(kM * kH * kW), 0);
  for (size_t k = 0; k < out.objects.size() && k < size_t(kM); ++k) {
    const CocoDetAnnotation& a = out.objects[k];
    const std::vector<uint8_t> m = a.mask ? rle_decode(*a.mask) : box_mask(a.bbox, kH, kW);
    std::copy(m.begin(), m.end(), slots.begin() + static_cast<int64_t>(k) * kH * kW);
  }
  return slots;
}

// Each filled target slot's box holds every pixel centre of its mask, which is not empty; empty
// slots have empty masks. Returns the number of filled slots.
int check_rows_hold_masks(const std::vector<float>& targets, const std::vector<uint8_t>& masks, int64_t samples) {
  int filled = 0;
  for (int64_t i = 0; i < samples; ++i)
    for (int64_t k = 0; k < kM; ++k) {
      INFO("sample position " << i << ", slot " << k);
      const float* row = &targets[static_cast<size_t>((i * kM + k) * 5)];
      const std::vector<uint8_t> m = slot_of(masks, i, k, kM, kH * kW);
      int64_t area = 0, outside = 0;
      for (int64_t v = 0; v < kH; ++v)
        for (int64_t u = 0; u < kW; ++u) {
          if (!m[static_cast<size_t>(v * kW + u)]) continue;
          ++area;
          outside += !(row[1] <= u + 0.5 && u + 0.5 <= row[3] && row[2] <= v + 0.5 && v + 0.5 <= row[4]);
        }
      if (row[0] < 0) {
        CHECK(area == 0);
        continue;
      }
      ++filled;
      CHECK(area > 0);
      CHECK(outside == 0);
    }
  return filled;
}

struct RandomDirs {
  test::TempDir dir{"ocellus_det_masks"};
  RandomDirs() {
    write_random_dir(dir.file("train"), 5);
    write_random_dir(dir.file("test"), 6);
  }
};

}  // namespace

TEST_CASE("det masks: det_coco decodes each slot's RLE row-major, rasterizes mask-less boxes, zeros empty slots",
          "[det_masks][det]") {
  test::TempDir dir("ocellus_det_masks_hand");
  write_hand_dir(dir.str());
  const DetDataset ds = load_detection_dataset(dir.str(), kHandM, 0, true);
  REQUIRE(ds.data.masks.defined());
  CHECK(ds.data.masks.dtype() == DType::u8);
  REQUIRE(ds.data.masks.shape() == (Shape{4, kHandM, kHandH, kHandW}));
  const std::vector<uint8_t> masks = to_vector<uint8_t>(ds.data.masks);
  const int64_t hw = kHandH * kHandW;
  const std::vector<uint8_t> empty(static_cast<size_t>(hw), 0);
  // Image 0: the L in slot 0; the crowd region takes no slot, so the mask-less box [1.5, 4.5) x
  // [2, 4.5) is slot 1: centres 1.5, 2.5, 3.5 across (columns 1..3), 2.5, 3.5 down (rows 2, 3).
  CHECK(slot_of(masks, 0, 0, kHandM, hw) == hand_l());
  CHECK(slot_of(masks, 0, 1, kHandM, hw) == mask_with(kHandH, kHandW, {{2, 1}, {2, 2}, {2, 3}, {3, 1}, {3, 2}, {3, 3}}));
  // Image 1: the corners (a transposed decode would put them elsewhere), slot 1 empty.
  CHECK(slot_of(masks, 1, 0, kHandM, hw) == hand_corners());
  CHECK(slot_of(masks, 1, 1, kHandM, hw) == empty);
  // Image 2 has no objects.
  CHECK(slot_of(masks, 2, 0, kHandM, hw) == empty);
  CHECK(slot_of(masks, 2, 1, kHandM, hw) == empty);
  // Image 3: the box [2.6, 3.4) holds no pixel centre; the whole-image box is every pixel.
  CHECK(slot_of(masks, 3, 0, kHandM, hw) == empty);
  CHECK(slot_of(masks, 3, 1, kHandM, hw) == std::vector<uint8_t>(static_cast<size_t>(hw), 1));
  // The rows are the same with and without masks, and line up with them: the L's row is its tight box.
  const DetDataset no_masks = load_detection_dataset(dir.str(), kHandM);
  const std::vector<float> rows = to_vector<float>(ds.data.targets);
  CHECK(rows == to_vector<float>(no_masks.data.targets));
  CHECK(std::vector<float>(rows.begin(), rows.begin() + 10) == std::vector<float>{1, 1, 2, 5, 7, 0, 1.5f, 2, 4.5f, 4.5f});
  // The decoded slots agree with the file's RLEs (the reader's own decode).
  CHECK(slot_of(masks, 0, 0, kHandM, hw) == rle_decode(*ds.coco.annotations[0].mask));
}

TEST_CASE("det masks: without with_masks the data set and the batches have no masks", "[det_masks][det][loader]") {
  RandomDirs dirs;
  const DataSettings d = settings(dirs.dir.file("train"), dirs.dir.file("test"));
  for (const std::string split : {"train", "test"}) {
    INFO(split);
    const DetDataset ds = load(d, split, false);
    CHECK(!ds.data.masks.defined());
    LoaderOptions o = d.loader;
    if (split == "test") o.augment = AugmentOptions{};  // as the evaluation pass sets it
    DataLoader loader(ds.data, o);
    const EpochData e = run(loader, 0);
    CHECK(!e.masks_defined);
    CHECK(e.masks.empty());
    CHECK(e.targets.size() == size_t(kImages * kM * 5));
  }
  CHECK(!load_detection_dataset(d.train_dir, kM).data.masks.defined());
}

TEST_CASE("det masks: a batch's masks are the data set's for its samples, or augment_detection's for the draw",
          "[det_masks][det][loader]") {
  RandomDirs dirs;
  const DataSettings d = settings(dirs.dir.file("train"), dirs.dir.file("test"));
  const int64_t hw = kH * kW;

  // The test split is not augmented: each batch slot is the data set's, in the epoch's order.
  const DetDataset test = load(d, "test", true);
  CHECK(!test.data.transform);
  REQUIRE(test.data.masks.shape() == (Shape{kImages, kM, kH, kW}));
  const std::vector<uint8_t> test_masks = to_vector<uint8_t>(test.data.masks);
  LoaderOptions unaugmented = d.loader;
  unaugmented.augment = AugmentOptions{};
  DataLoader test_loader(test.data, unaugmented);
  const EpochData t = run(test_loader, 1);
  const std::vector<int64_t> test_order = DataLoader::epoch_order(kImages, true, d.loader.seed, 1);
  REQUIRE(t.masks.size() == test_masks.size());
  for (size_t p = 0; p < test_order.size(); ++p)
    for (int64_t k = 0; k < kM; ++k)
      CHECK(slot_of(t.masks, int64_t(p), k, kM, hw) == slot_of(test_masks, test_order[p], k, kM, hw));
  CHECK(check_rows_hold_masks(t.targets, t.masks, kImages) > kImages);

  // The training split under augmentation: the masks of augment_detection for each sample's draw.
  const DetDataset train = load(d, "train", true);
  REQUIRE(train.data.transform);
  const DetDataset plain = load_detection_dataset(d.train_dir, kM, 0, true);
  const DetAugmentOptions opt = detection_augment_options(d.loader.augment, kH, kW);
  DataLoader loader(train.data, d.loader);
  const int64_t epoch = 3;
  const EpochData e = run(loader, epoch);
  const std::vector<int64_t> order = DataLoader::epoch_order(kImages, true, d.loader.seed, epoch);
  const uint64_t seed = DataLoader::augment_seed(d.loader.seed, epoch);
  const std::vector<uint8_t> plain_masks = to_vector<uint8_t>(plain.data.masks);
  REQUIRE(e.masks.size() == plain_masks.size());
  int moved = 0;
  for (size_t p = 0; p < order.size(); ++p) {
    const int64_t s = order[p];
    INFO("sample " << s << " at position " << p);
    const std::vector<uint8_t> x = expected_augmented_masks(plain, s, opt, seed);
    const std::vector<uint8_t> got(e.masks.begin() + int64_t(p) * kM * hw, e.masks.begin() + int64_t(p + 1) * kM * hw);
    CHECK(got == x);
    moved += x != std::vector<uint8_t>(plain_masks.begin() + s * kM * hw, plain_masks.begin() + (s + 1) * kM * hw);
  }
  CHECK(moved > kImages / 2);
  // Slot k's mask lies in slot k's box, the boxes the transform rebuilt beside the masks.
  CHECK(check_rows_hold_masks(e.targets, e.masks, kImages) > kImages);
}

TEST_CASE("det masks: augmented batches are the same with 0, 1 and 2 workers, and change with the epoch",
          "[det_masks][det][loader]") {
  RandomDirs dirs;
  DataSettings d = settings(dirs.dir.file("train"), dirs.dir.file("test"));
  const DetDataset train = load(d, "train", true);
  DataLoader one(train.data, d.loader);
  d.loader.workers = 2;
  d.loader.prefetch = 1;
  DataLoader two(train.data, d.loader);
  d.loader.workers = 0;
  DataLoader inline_loader(train.data, d.loader);
  std::vector<uint8_t> first;
  for (int64_t epoch : {0, 1}) {
    const EpochData a = run(one, epoch), b = run(two, epoch), c = run(inline_loader, epoch);
    REQUIRE(a.masks.size() == size_t(kImages * kM * kH * kW));
    CHECK(a.masks == b.masks);
    CHECK(a.masks == c.masks);
    CHECK(a.targets == b.targets);
    CHECK(a.targets == c.targets);
    if (epoch == 0) first = a.masks;
    else CHECK(a.masks != first);
  }
}

TEST_CASE("det masks: the loader passes each sample's masks to the transform and checks their shape", "[loader]") {
  const int64_t n = 5, M = 2, H = 3, W = 4, hw = H * W;
  std::mt19937 rng(8);
  std::vector<uint8_t> px(static_cast<size_t>(n * hw)), m(static_cast<size_t>(n * M * hw));
  for (uint8_t& v : px) v = static_cast<uint8_t>(rng() % 256);
  for (uint8_t& v : m) v = static_cast<uint8_t>(rng() % 2);
  ImageDataset ds;
  ds.images = from_vector(px, {n, 1, H, W});
  ds.labels = from_vector(std::vector<int64_t>(static_cast<size_t>(n), 0), {n});
  ds.targets = from_vector(std::vector<float>(static_cast<size_t>(n * M * 5), 1.0f), {n, M, 5});
  ds.masks = from_vector(m, {n, M, H, W});
  // Slot 1 takes slot 0's complement when the sample's slot 0 held its own mask on entry.
  ds.transform = [m, hw](int64_t index, uint64_t, const Tensor& image, float*, uint8_t* masks) {
    OC_CHECK(masks != nullptr, "the transform got no masks");  // (Catch's checks are not for worker threads)
    const bool own = std::equal(masks, masks + 2 * hw, m.begin() + index * 2 * hw);
    for (int64_t k = 0; k < hw; ++k) masks[hw + k] = own ? static_cast<uint8_t>(1 - masks[k]) : 7;
    return image;
  };
  LoaderOptions opt;
  opt.batch_size = 2;
  opt.workers = 2;
  opt.augment.horizontal_flip = true;
  DataLoader loader(ds, opt);
  loader.start_epoch(0);
  const std::vector<int64_t> order = DataLoader::epoch_order(n, true, 0, 0);
  Batch b;
  size_t p = 0;
  while (loader.next(b)) {
    REQUIRE(b.masks.shape() == (Shape{b.images.size(0), M, H, W}));
    const std::vector<uint8_t> got = to_vector<uint8_t>(b.masks);
    for (int64_t i = 0; i < b.images.size(0); ++i, ++p) {
      const int64_t s = order[p];
      INFO("sample " << s);
      for (int64_t k = 0; k < hw; ++k) {
        CHECK(got[size_t(i * M * hw + k)] == m[size_t(s * M * hw + k)]);
        CHECK(got[size_t(i * M * hw + hw + k)] == 1 - m[size_t(s * M * hw + k)]);
      }
    }
  }
  CHECK(p == size_t(n));

  ImageDataset bad = ds;
  bad.masks = from_vector(std::vector<uint8_t>(static_cast<size_t>(n * M * 2 * W), 1), {n, M, 2, W});
  test::require_error([&] { DataLoader l(bad, opt); }, {"masks must be uint8 [N,M,H,W]", "H x W = 3 x 4"});
  bad.masks = to(ds.masks, DType::f32);
  test::require_error([&] { DataLoader l(bad, opt); }, {"masks must be uint8 [N,M,H,W]"});
  bad.masks = from_vector(std::vector<uint8_t>(static_cast<size_t>(n * 3 * hw), 1), {n, 3, H, W});
  test::require_error([&] { DataLoader l(bad, opt); }, {"need targets [N,M,...] with the same M", "[5, 2, 5]"});
  bad.targets = Tensor();
  test::require_error([&] { DataLoader l(bad, opt); }, {"need targets", "got none"});
}
