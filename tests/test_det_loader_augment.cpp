// Detection augmentation through the loader: det_coco's training split brings a transform (a flip and
// a scale, cropped back to the image size) that moves each sample's pixels and boxes; the loader runs
// it in its workers, keyed by (seed, epoch, sample), in place of its own image augmentation.
#include <catch2/catch.hpp>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <random>

#include "tests/helpers.h"
#include "train/data/datasets.h"
#include "train/data/det_augment.h"
#include "train/data/det_dataset.h"
#include "train/data/loader.h"
#include "train/experiment.h"
#include "train/io/coco_detection.h"
#include "train/io/image_io.h"

using namespace oc;

namespace {

constexpr int64_t kH = 32, kW = 40, kImages = 10, kMaxObjects = 3;

// A det_coco directory (DIR/annotations.json + DIR/images/): random pixels, 1 to 4 objects per image
// of categories 7 and 3 at random places (every second one with a rectangle mask), and a crowd region
// in the first image.
void write_det_dir(const std::string& dir, uint32_t seed) {
  std::mt19937 rng(seed);
  std::filesystem::create_directories(dir + "/images");
  CocoDetDataset c;
  c.categories = {{7, "seven"}, {3, "three"}};
  int64_t id = 1;
  for (int64_t i = 0; i < kImages; ++i) {
    std::vector<uint8_t> px(static_cast<size_t>(3 * kH * kW));
    for (uint8_t& v : px) v = static_cast<uint8_t>(rng() % 256);
    const std::string name = "im" + std::to_string(i) + ".png";
    write_png(dir + "/images/" + name, from_vector(px, {3, kH, kW}));
    c.images.push_back({100 + i, name, kW, kH});
    const int64_t objects = 1 + static_cast<int64_t>(rng() % 4);
    for (int64_t k = 0; k < objects; ++k) {
      CocoDetAnnotation a;
      a.id = id++, a.image_id = 100 + i, a.category_id = rng() % 2 ? 3 : 7;
      const int64_t w = 6 + rng() % 12, h = 6 + rng() % 12;
      const int64_t x = rng() % (kW - w + 1), y = rng() % (kH - h + 1);
      a.bbox = {double(x), double(y), double(w), double(h)};
      a.area = double(w * h);
      if (k % 2 == 1) {
        std::vector<uint8_t> m(static_cast<size_t>(kH * kW), 0);
        for (int64_t v = y; v < y + h; ++v)
          for (int64_t u = x; u < x + w; ++u) m[v * kW + u] = 1;
        a.mask = rle_encode(m.data(), kH, kW);
      }
      c.annotations.push_back(a);
    }
  }
  CocoDetAnnotation crowd;
  crowd.id = id++, crowd.image_id = 100, crowd.category_id = 3, crowd.iscrowd = true;
  crowd.bbox = {0, 0, 20, 16};
  crowd.area = 320;
  c.annotations.push_back(crowd);
  write_coco_detection(dir + "/annotations.json", c);
}

struct DetDirs {
  test::TempDir dir{"ocellus_det_loader_aug"};
  DetDirs() {
    write_det_dir(dir.file("train"), 11);
    write_det_dir(dir.file("test"), 12);
  }
};

// det_coco settings with a flip and a scale in [0.75, 1.25].
DataSettings det_settings(const DetDirs& dirs) {
  DataSettings d;
  d.dataset = "det_coco";
  d.train_dir = dirs.dir.file("train");
  d.test_dir = dirs.dir.file("test");
  d.loader.batch_size = 4;
  d.loader.seed = 77;
  d.loader.workers = 1;
  d.loader.mean = 0.4, d.loader.std = 0.3;
  d.loader.augment.horizontal_flip = true;
  d.loader.augment.affine_scale_min = 0.75;
  d.loader.augment.affine_scale_max = 1.25;
  return d;
}

DetDataset load(const DataSettings& d, const std::string& split) {
  return dataset_registry().at("det_coco", "data.dataset").factory.load_detections(d, split, kMaxObjects, false);
}

// One epoch's batches concatenated: images [N*C*H*W] and targets [N*M*5] in batch order.
struct EpochData {
  std::vector<float> images, targets;
};
EpochData run(DataLoader& loader, int64_t epoch) {
  EpochData e;
  loader.start_epoch(epoch);
  Batch b;
  while (loader.next(b)) {
    const std::vector<float> im = to_vector<float>(b.images), t = to_vector<float>(b.targets);
    e.images.insert(e.images.end(), im.begin(), im.end());
    e.targets.insert(e.targets.end(), t.begin(), t.end());
  }
  return e;
}

std::vector<float> row_of(const std::vector<float>& targets, size_t position) {
  const size_t per = kMaxObjects * 5;
  return std::vector<float>(targets.begin() + position * per, targets.begin() + (position + 1) * per);
}

Tensor image_of(const DetDataset& ds, int64_t s) { return contiguous(select(ds.data.images, 0, s)); }

// Sample s as augment_detection makes it under the epoch's draw, and its target row written here by
// the rule: the kept non-crowd objects in file order, the first M, all -1 in the empty slots.
struct Expected {
  DetAugmentDraw draw;
  DetSample sample;
  std::vector<float> row;
};
Expected expected(const DetDataset& plain, int64_t s, const DetAugmentOptions& opt, uint64_t seed) {
  Expected e;
  e.draw = draw_det_augment(opt, seed, static_cast<uint64_t>(s), kH, kW);
  std::vector<CocoDetAnnotation> objects;
  for (const CocoDetAnnotation& a : plain.coco.annotations)
    if (a.image_id == plain.coco.images[s].id && !a.iscrowd) objects.push_back(a);
  e.sample = augment_detection(image_of(plain, s), objects, opt, e.draw);
  e.row.assign(kMaxObjects * 5, -1.0f);
  for (size_t k = 0; k < e.sample.objects.size() && k < size_t(kMaxObjects); ++k) {
    const CocoDetAnnotation& a = e.sample.objects[k];
    const int64_t label = a.category_id == 3 ? 0 : 1;  // categories by ascending id: 3, 7
    const float v[5] = {float(label), float(a.bbox[0]), float(a.bbox[1]), float(a.bbox[0] + a.bbox[2]),
                        float(a.bbox[1] + a.bbox[3])};
    std::copy(v, v + 5, e.row.begin() + k * 5);
  }
  return e;
}

}  // namespace

TEST_CASE("det loader augment: each training sample's pixels and boxes are augment_detection's for its draw",
          "[det_augment][loader]") {
  DetDirs dirs;
  const DataSettings d = det_settings(dirs);
  const DetDataset train = load(d, "train");
  REQUIRE(train.data.transform);
  const DetDataset plain = load_detection_dataset(d.train_dir, kMaxObjects);
  const DetAugmentOptions opt = detection_augment_options(d.loader.augment, kH, kW);
  CHECK(opt.width == kW);
  CHECK(opt.height == kH);
  CHECK(opt.scale_min == 0.75);
  CHECK(opt.scale_max == 1.25);
  CHECK(opt.horizontal_flip);

  DataLoader loader(train.data, d.loader);
  const int64_t epoch = 2;
  const EpochData e = run(loader, epoch);
  const std::vector<int64_t> order = DataLoader::epoch_order(kImages, true, d.loader.seed, epoch);
  const uint64_t seed = DataLoader::augment_seed(d.loader.seed, epoch);
  const std::vector<float> plain_targets = to_vector<float>(plain.data.targets);
  const size_t chw = 3 * kH * kW;
  REQUIRE(e.images.size() == kImages * chw);
  int changed = 0, flipped = 0, boxes = 0;
  for (size_t p = 0; p < order.size(); ++p) {
    const int64_t s = order[p];
    INFO("sample " << s << " at position " << p);
    const Expected x = expected(plain, s, opt, seed);
    const std::vector<float> row = row_of(e.targets, p);
    CHECK(row == x.row);
    changed += row != row_of(plain_targets, static_cast<size_t>(s));
    flipped += x.draw.flip;
    const std::vector<uint8_t> px = to_vector<uint8_t>(x.sample.image);
    bool same_pixels = true;
    for (size_t k = 0; k < chw; ++k)
      same_pixels &= e.images[p * chw + k] == static_cast<float>((px[k] / 255.0 - d.loader.mean) / d.loader.std);
    CHECK(same_pixels);
    for (int64_t k = 0; k < kMaxObjects; ++k) {
      const float* b = &row[k * 5];
      if (b[0] < 0) continue;
      ++boxes;
      CHECK(0 <= b[1]);
      CHECK(b[1] < b[3]);
      CHECK(b[3] <= kW);
      CHECK(0 <= b[2]);
      CHECK(b[2] < b[4]);
      CHECK(b[4] <= kH);
    }
    // An object the crop does not clip keeps its size times the scale (hand rule of the map).
    for (const CocoDetAnnotation& a : x.sample.objects)
      for (const CocoDetAnnotation& o : plain.coco.annotations)
        if (o.id == a.id && a.bbox[0] > 0 && a.bbox[1] > 0 && a.bbox[0] + a.bbox[2] < kW && a.bbox[1] + a.bbox[3] < kH) {
          CHECK(a.bbox[2] == Approx(o.bbox[2] * x.draw.scale).epsilon(1e-12));
          CHECK(a.bbox[3] == Approx(o.bbox[3] * x.draw.scale).epsilon(1e-12));
        }
  }
  CHECK(changed > 0);
  CHECK(boxes > kImages);
  CHECK(flipped > 0);
  CHECK(flipped < kImages);
}

TEST_CASE("det loader augment: batches are the same with 0, 1 and 2 workers, and change with the epoch",
          "[det_augment][loader]") {
  DetDirs dirs;
  DataSettings d = det_settings(dirs);
  const DetDataset train = load(d, "train");
  DataLoader one(train.data, d.loader);
  d.loader.workers = 2;
  d.loader.prefetch = 1;
  DataLoader two(train.data, d.loader);
  d.loader.workers = 0;
  DataLoader inline_loader(train.data, d.loader);
  for (int64_t epoch : {0, 1}) {
    const EpochData a = run(one, epoch), b = run(two, epoch), c = run(inline_loader, epoch);
    CHECK(a.images == b.images);
    CHECK(a.targets == b.targets);
    CHECK(a.images == c.images);
    CHECK(a.targets == c.targets);
  }
  // In file order, sample p sits at position p in both epochs: its draw changes with the epoch.
  d.loader.shuffle = false;
  DataLoader ordered(train.data, d.loader);
  const EpochData e0 = run(ordered, 0), e1 = run(ordered, 1);
  CHECK(e0.images != e1.images);
  int rows_differ = 0;
  for (size_t p = 0; p < size_t(kImages); ++p) rows_differ += row_of(e0.targets, p) != row_of(e1.targets, p);
  CHECK(rows_differ > 0);
  CHECK(run(ordered, 1).targets == e1.targets);
}

TEST_CASE("det loader augment: the test split and an unaugmented pass over the training split keep the file's boxes",
          "[det_augment][loader]") {
  DetDirs dirs;
  const DataSettings d = det_settings(dirs);
  const DetDataset test = load(d, "test");
  CHECK(!test.data.transform);
  const DetDataset plain_test = load_detection_dataset(d.test_dir, kMaxObjects);
  CHECK(to_vector<float>(test.data.targets) == to_vector<float>(plain_test.data.targets));
  // The crowd region stays out of the targets: image 0's first slot is its first object.
  CHECK(to_vector<float>(test.data.targets)[0] >= 0);

  // With data.augment off (as an evaluation pass sets it) the training split's transform never runs.
  const DetDataset train = load(d, "train");
  REQUIRE(train.data.transform);
  LoaderOptions off = d.loader;
  off.augment = AugmentOptions{};
  off.shuffle = false;
  DataLoader loader(train.data, off);
  const EpochData e = run(loader, 3);
  const DetDataset plain = load_detection_dataset(d.train_dir, kMaxObjects);
  CHECK(e.targets == to_vector<float>(plain.data.targets));
  const std::vector<uint8_t> px = to_vector<uint8_t>(plain.data.images);
  bool same_pixels = true;
  for (size_t k = 0; k < px.size(); ++k)
    same_pixels &= e.images[k] == static_cast<float>((px[k] / 255.0 - d.loader.mean) / d.loader.std);
  CHECK(same_pixels);

  // Without augmentation configured, no split gets a transform.
  DataSettings none = d;
  none.loader.augment = AugmentOptions{};
  CHECK(!load(none, "train").data.transform);
}

TEST_CASE("det loader augment: data.augment keys detection cannot do are errors naming the key",
          "[det_augment][loader]") {
  json c = json::parse(R"({
    "model": {"input": [3, 32, 32], "layers": [
      {"name": "c1", "type": "conv2d", "out_channels": 8, "kernel": 3, "padding": 1, "stride": 2},
      {"type": "relu"},
      {"name": "c2", "type": "conv2d", "out_channels": 8, "kernel": 3, "padding": 1, "stride": 4},
      {"name": "grid", "type": "conv2d", "out_channels": 30, "kernel": 1}]},
    "data": {"dataset": "det_coco", "train_dir": "a", "test_dir": "b", "batch_size": 4,
             "augment": {"horizontal_flip": true, "affine_scale_min": 0.8, "affine_scale_max": 1.2}},
    "train": {"epochs": 1},
    "task": {"type": "detection", "head": "yolo", "stride": 8, "anchors": [[10, 10], [20, 20]],
             "max_objects": 4}})");
  const Experiment ok = experiment_from_json(c, "d.json");
  CHECK(ok.data.loader.augment.horizontal_flip);
  CHECK(ok.data.loader.augment.affine_scale_min == 0.8);
  CHECK(ok.data.loader.augment.affine_scale_max == 1.2);
  const std::vector<std::pair<std::string, json>> bad = {
      {"random_crop_padding", 2}, {"affine_degrees", 5.5}, {"affine_translate", 0.1}};
  for (const auto& [key, value] : bad) {
    INFO(key);
    json b = c;
    b["data"]["augment"][key] = value;
    test::require_error([&] { experiment_from_json(b, "d.json"); },
                        {"d.json: data.augment." + key,
                         "det_coco augments with horizontal_flip, affine_scale_min and affine_scale_max only",
                         "leave " + key + " at its default"});
  }
  // The same rule where settings are built in code, and a bad scale range.
  AugmentOptions a;
  a.affine_translate = 0.2;
  test::require_error([&] { detection_augment_options(a, kH, kW); },
                      {"data.augment.affine_translate", "detection augmentation takes only horizontal_flip"});
  a = AugmentOptions{};
  a.affine_scale_min = 1.5;
  test::require_error([&] { detection_augment_options(a, kH, kW); }, {"scale_min <= scale_max", "1.5"});
  // A data set with targets and no transform (pose_coco) still refuses the loader's augmentation.
  ImageDataset pose;
  pose.images = from_vector(std::vector<uint8_t>(2 * 4, 9), {2, 1, 2, 2});
  pose.labels = from_vector(std::vector<int64_t>{0, 1}, {2});
  pose.targets = from_vector(std::vector<float>{0.5f, 1.5f}, {2, 1});
  LoaderOptions lo;
  lo.augment.horizontal_flip = true;
  test::require_error([&] { DataLoader l(pose, lo); }, {"augmentation would not move them", "turn data.augment off"});
}

TEST_CASE("det loader augment: a data set's transform replaces the loader's augmentation, once per sample",
          "[loader]") {
  const int64_t n = 9, C = 1, H = 3, W = 4;
  std::mt19937 rng(5);
  std::vector<uint8_t> px(static_cast<size_t>(n * C * H * W));
  for (uint8_t& v : px) v = static_cast<uint8_t>(rng() % 256);
  std::vector<float> t(static_cast<size_t>(n * 2));
  for (float& v : t) v = static_cast<float>(rng() % 1000) / 8.0f;
  ImageDataset ds;
  ds.images = from_vector(px, {n, C, H, W});
  ds.labels = from_vector(std::vector<int64_t>(static_cast<size_t>(n), 0), {n});
  ds.targets = from_vector(t, {n, 2});
  std::atomic<int> calls{0};
  // Inverts the pixels; the row's first value gains the sample index (it holds the row on entry),
  // the second records the seed.
  std::atomic<int> mask_pointers{0};  // the data set has no masks: every call gets null
  ds.transform = [&calls, &mask_pointers](int64_t index, uint64_t seed, const Tensor& image, float* target,
                                          uint8_t* masks) {
    ++calls;
    mask_pointers += masks != nullptr;
    std::vector<uint8_t> v = to_vector<uint8_t>(image);
    for (uint8_t& x : v) x = static_cast<uint8_t>(255 - x);
    target[0] += static_cast<float>(index);
    target[1] = static_cast<float>(seed % 1000);
    return from_vector(v, image.shape());
  };
  LoaderOptions opt;
  opt.batch_size = 4;
  opt.seed = 3;
  opt.workers = 2;
  opt.augment.random_crop_padding = 2;  // would shift the pixels if the loader also augmented
  DataLoader loader(ds, opt);
  const EpochData e = run(loader, 1);
  CHECK(calls == n);
  CHECK(mask_pointers == 0);
  const std::vector<int64_t> order = DataLoader::epoch_order(n, true, 3, 1);
  const float seed_mark = static_cast<float>(DataLoader::augment_seed(3, 1) % 1000);
  const size_t chw = C * H * W;
  for (size_t p = 0; p < size_t(n); ++p) {
    const size_t s = static_cast<size_t>(order[p]);
    INFO("sample " << s);
    CHECK(e.targets[p * 2] == t[s * 2] + static_cast<float>(s));
    CHECK(e.targets[p * 2 + 1] == seed_mark);
    for (size_t k = 0; k < chw; ++k) CHECK(e.images[p * chw + k] == static_cast<float>((255 - px[s * chw + k]) / 255.0));
  }
  // Augmentation off: the transform is not called and the rows are the data set's.
  LoaderOptions off = opt;
  off.augment = AugmentOptions{};
  off.shuffle = false;
  DataLoader plain(ds, off);
  CHECK(run(plain, 0).targets == t);
  CHECK(calls == n);
  // A transform that changes the image's size is an error naming what it returned.
  ds.transform = [](int64_t, uint64_t, const Tensor&, float*, uint8_t*) { return Tensor::empty({1, 2, 2}, DType::u8); };
  opt.workers = 0;
  DataLoader wrong(ds, opt);
  wrong.start_epoch(0);
  Batch b;
  test::require_error([&] { wrong.next(b); }, {"the data set's transform returned", "expected uint8 [1,3,4]"});
}
