// The det-synth generator: boxes are the tight boxes of the visible masks, areas their pixel counts,
// the placement rules hold, splits read disjoint files and photo columns, output is byte-identical
// for a seed, and the strict reader accepts it. Most tests use small hand-made items and photos
// (fast, no data needed); one uses the real Fashion-MNIST and opencv-doc photos.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <random>

#include "core/thread_pool.h"
#include "tests/helpers.h"
#include "tests/kernels/optim/bit_equal.h"
#include "train/data/det_synth.h"
#include "train/data/pose_synth.h"
#include "train/io/coco_detection.h"
#include "train/io/image_io.h"

using namespace oc;

namespace {

// n random 28 x 28 items: a bright ellipse (intensity 120..255, soft edge) at a random place, and
// labels drawn from [first_label, first_label + 5).
ImageDataset fake_items(uint32_t seed, int64_t n, int64_t first_label) {
  std::mt19937 g(seed);
  ImageDataset d;
  d.images = Tensor::empty({n, 1, 28, 28}, DType::u8);
  d.labels = Tensor::empty({n}, DType::i64);
  uint8_t* px = d.images.data<uint8_t>();
  for (int64_t i = 0; i < n; ++i) {
    const double cx = 8 + g() % 12, cy = 8 + g() % 12, rx = 4 + g() % 8, ry = 4 + g() % 8, v = 120 + g() % 136;
    for (int64_t y = 0; y < 28; ++y)
      for (int64_t x = 0; x < 28; ++x) {
        const double q = std::hypot((x + 0.5 - cx) / rx, (y + 0.5 - cy) / ry);
        px[i * 784 + y * 28 + x] = static_cast<uint8_t>(v * std::clamp(2.0 - 1.5 * q, 0.0, 1.0));
      }
    d.labels.data<int64_t>()[i] = first_label + static_cast<int64_t>(g() % 5);
  }
  d.num_classes = 10;
  return d;
}

// A [3,H,W] photo whose left two thirds (the train columns) are 10 and the rest 200.
Tensor two_tone_photo(int64_t H, int64_t W) {
  Tensor t = Tensor::empty({3, H, W}, DType::u8);
  const int64_t cut = det_synth_columns("train", W)[1];
  uint8_t* p = t.data<uint8_t>();
  for (int64_t i = 0; i < 3 * H * W; ++i) p[i] = i % W < cut ? 10 : 200;
  return t;
}

// IDX files (uncompressed) of `items` under the names load_fashion_mnist looks for.
void write_idx_pair(const std::string& dir, const std::string& prefix, const ImageDataset& items) {
  auto be32 = [](std::string& s, uint32_t v) {
    for (int k = 3; k >= 0; --k) s.push_back(static_cast<char>((v >> (8 * k)) & 0xff));
  };
  const int64_t n = items.size();
  std::string img, lab;
  be32(img, 0x803), be32(img, uint32_t(n)), be32(img, 28), be32(img, 28);
  img.append(reinterpret_cast<const char*>(items.images.data<uint8_t>()), size_t(n * 784));
  be32(lab, 0x801), be32(lab, uint32_t(n));
  for (int64_t i = 0; i < n; ++i) lab.push_back(static_cast<char>(items.labels.data<int64_t>()[i]));
  std::ofstream(dir + "/" + prefix + "-images-idx3-ubyte", std::ios::binary) << img;
  std::ofstream(dir + "/" + prefix + "-labels-idx1-ubyte", std::ios::binary) << lab;
}

// A data directory with fake train (labels 0..4) and t10k (labels 5..9) files and one two-tone photo.
struct FakeData {
  test::TempDir dir{"det_synth_data"};
  FakeData() {
    write_idx_pair(dir.str(), "train", fake_items(1, 40, 0));
    write_idx_pair(dir.str(), "t10k", fake_items(2, 30, 5));
    write_png(dir.file("photo.png"), two_tone_photo(70, 120));
  }
  DetSynthOptions options(const std::string& split) const {
    DetSynthOptions opt;
    opt.split = split;
    opt.fashion_dir = dir.str();
    opt.backgrounds = {dir.file("photo.png")};
    return opt;
  }
};

double iou(const std::array<double, 4>& a, const std::array<double, 4>& b) {
  const double w = std::min(a[0] + a[2], b[0] + b[2]) - std::max(a[0], b[0]);
  const double h = std::min(a[1] + a[3], b[1] + b[3]) - std::max(a[1], b[1]);
  if (w <= 0 || h <= 0) return 0;
  return w * h / (a[2] * a[3] + b[2] * b[3] - w * h);
}

// Every object: the box is the tight box of its decoded mask, the area its pixel count, inside the
// image; the visible masks of one image do not overlap.
void check_objects(const std::vector<CocoDetAnnotation>& objects, int64_t S) {
  std::vector<int> owners(static_cast<size_t>(S * S), 0);
  for (const CocoDetAnnotation& a : objects) {
    REQUIRE(a.mask.has_value());
    REQUIRE((a.mask->height == S && a.mask->width == S));
    const std::vector<uint8_t> m = rle_decode(*a.mask);
    int64_t x0 = S, y0 = S, x1 = -1, y1 = -1, area = 0;
    for (int64_t y = 0; y < S; ++y)
      for (int64_t x = 0; x < S; ++x)
        if (m[y * S + x]) {
          ++area, ++owners[y * S + x];
          x0 = std::min(x0, x), y0 = std::min(y0, y), x1 = std::max(x1, x), y1 = std::max(y1, y);
        }
    REQUIRE(area > 0);
    CHECK(a.bbox == std::array<double, 4>{double(x0), double(y0), double(x1 - x0 + 1), double(y1 - y0 + 1)});
    CHECK(a.area == double(area));
    CHECK((a.bbox[0] >= 0 && a.bbox[1] >= 0 && a.bbox[0] + a.bbox[2] <= S && a.bbox[1] + a.bbox[3] <= S));
    CHECK(!a.iscrowd);
  }
  CHECK(*std::max_element(owners.begin(), owners.end()) <= 1);
}

}  // namespace

TEST_CASE("det_synth: the splits' photo columns", "[det_synth]") {
  CHECK(det_synth_columns("train", 300) == std::array<int64_t, 2>{0, 200});
  CHECK(det_synth_columns("test", 300) == std::array<int64_t, 2>{200, 300});
  CHECK(det_synth_columns("train", 259) == std::array<int64_t, 2>{0, 172});
  CHECK(det_synth_columns("test", 259) == std::array<int64_t, 2>{172, 259});
  test::require_error([] { det_synth_columns("val", 100); }, {"split must be \"train\" or \"test\", got \"val\""});
  DetSynthOptions opt;
  opt.backgrounds = {"x.png"};
  opt.min_objects = 3, opt.max_objects = 2;
  test::require_error([&] { opt.check(); }, {"objects must satisfy 0 <= MIN <= MAX <= 32, got 3..2"});
  opt.min_objects = 1, opt.backgrounds.clear();
  test::require_error([&] { opt.check(); }, {"no background photos"});
}

TEST_CASE("det_synth: boxes are the tight boxes of the visible masks, areas their pixels, rules hold", "[det_synth]") {
  const ImageDataset items = fake_items(7, 50, 0);
  const std::vector<Tensor> photos = {two_tone_photo(70, 120), two_tone_photo(90, 60)};
  DetSynthOptions opt;
  opt.size = 64;
  opt.min_objects = 1, opt.max_objects = 6;
  opt.seed = 21;
  opt.backgrounds = {"unused"};
  int64_t objects = 0, occluded = 0;
  for (int64_t i = 0; i < 40; ++i) {
    const DetSynthImage s = det_synth_image(opt, items, photos, i);
    CHECK(s.image.shape() == Shape{3, 64, 64});
    REQUIRE((s.objects.size() >= 1 && s.objects.size() <= 6));
    REQUIRE((s.sources.size() == s.objects.size() && s.whole_areas.size() == s.objects.size()));
    check_objects(s.objects, 64);
    for (size_t k = 0; k < s.objects.size(); ++k) {
      const CocoDetAnnotation& a = s.objects[k];
      CHECK(a.image_id == i);
      CHECK(a.category_id == items.labels.data<int64_t>()[s.sources[k]] + 1);
      // Later items never hide more than half of an earlier one's mask; whole boxes overlap little.
      CHECK(a.area >= kDetSynthMinVisible * double(s.whole_areas[k]));
      CHECK(a.area <= double(s.whole_areas[k]));
      occluded += a.area < double(s.whole_areas[k]);
      for (size_t e = 0; e < k; ++e) CHECK(iou(s.whole_boxes[k], s.whole_boxes[e]) <= kDetSynthMaxIou);
      CHECK((s.whole_boxes[k][2] >= 1 && s.whole_boxes[k][2] <= 64));
    }
    objects += static_cast<int64_t>(s.objects.size());
  }
  CHECK(objects > 40 * 2);  // 1..6 drawn, most of them placed
  CHECK(occluded > 0);      // occlusion happens, and masks were updated for it
  // The same (seed, index) gives the same image; another seed another one.
  const DetSynthImage a = det_synth_image(opt, items, photos, 3), b = det_synth_image(opt, items, photos, 3);
  CHECK(test::bit_equal(a.image, b.image));
  opt.seed = 22;
  CHECK(!test::bit_equal(a.image, det_synth_image(opt, items, photos, 3).image));
  test::require_error([&] { det_synth_image(opt, fake_items(1, 0, 0), photos, 0); }, {"expected contiguous items uint8"});
  test::require_error([&] { det_synth_image(opt, items, {Tensor::empty({1, 9, 9}, DType::u8)}, 0); },
                      {"backgrounds must be contiguous uint8 [3,H,W]"});
}

TEST_CASE("det_synth: train uses the train file and the left columns, test t10k and the right", "[det_synth]") {
  FakeData data;
  for (const std::string split : {"train", "test"}) {
    INFO(split);
    DetSynthOptions opt = data.options(split);
    opt.size = 48;
    const ImageDataset items = load_det_synth_items(opt);
    CHECK(items.size() == (split == "train" ? 40 : 30));
    const std::vector<Tensor> photos = {read_image(data.dir.file("photo.png"), 3)};
    const auto cols = det_synth_columns(split, 120);
    for (int64_t i = 0; i < 30; ++i) {
      // No items: the whole image is the photo crop, so its values show which columns it read
      // (10 scaled by at most 1.15 x 1.08 on the train side, 200 by at least 0.8 x 0.92 on the test side).
      opt.min_objects = opt.max_objects = 0;
      const DetSynthImage bare = det_synth_image(opt, items, photos, i);
      const uint8_t* px = bare.image.data<uint8_t>();
      const auto [lo, hi] = std::minmax_element(px, px + 3 * 48 * 48);
      if (split == "train") CHECK(*hi <= 14);
      if (split == "test") CHECK(*lo >= 147);
      CHECK((bare.crop[0] >= cols[0] + 1 && bare.crop[0] + bare.crop[2] <= cols[1] - 1));
      opt.min_objects = 1, opt.max_objects = 4;
      for (const CocoDetAnnotation& a : det_synth_image(opt, items, photos, i).objects)
        CHECK((split == "train" ? a.category_id <= 5 : a.category_id >= 6));  // fake train labels 0..4, t10k 5..9
    }
  }
}

TEST_CASE("det_synth: files are byte-identical for a seed with any thread count, and the reader accepts them",
          "[det_synth]") {
  FakeData data;
  test::TempDir a("det_synth"), b("det_synth"), c("det_synth");
  DetSynthOptions opt = data.options("test");
  opt.count = 5;
  opt.size = 40;
  opt.seed = 11;
  set_num_threads(1);
  const CocoDetDataset written = write_det_synth(a.str(), opt);
  set_num_threads(2);
  write_det_synth(b.str(), opt);
  set_num_threads(0);
  opt.seed = 12;
  write_det_synth(c.str(), opt);
  std::vector<std::string> files = {"annotations.json"};
  for (int i = 0; i < 5; ++i) files.push_back("images/00000" + std::to_string(i) + ".png");
  int differ = 0;
  for (const std::string& f : files) {
    const std::string fa = test::read_file_bytes(a.file(f));
    REQUIRE(!fa.empty());
    CHECK(fa == test::read_file_bytes(b.file(f)));
    differ += fa != test::read_file_bytes(c.file(f));
  }
  CHECK(differ == static_cast<int>(files.size()));
  CHECK(!std::filesystem::exists(a.file("images/000005.png")));

  const CocoDetDataset r = read_coco_detection(a.file("annotations.json"));
  REQUIRE(r.images.size() == 5);
  REQUIRE(r.categories.size() == 10);
  CHECK(r.categories[9].id == 10);
  CHECK(r.categories[9].name == "Ankle boot");
  REQUIRE(r.annotations.size() == written.annotations.size());
  REQUIRE(!r.annotations.empty());
  for (size_t i = 0; i < r.annotations.size(); ++i) {
    CHECK(r.annotations[i].id == int64_t(i) + 1);
    CHECK(r.annotations[i].bbox == written.annotations[i].bbox);
    CHECK(rle_decode(*r.annotations[i].mask) == rle_decode(*written.annotations[i].mask));
  }
  for (size_t i = 0; i < r.images.size(); ++i) {
    CHECK(r.images[i].id == int64_t(i));
    CHECK(read_image(a.file("images/" + r.images[i].file_name), 3).shape() == Shape{3, 40, 40});
    std::vector<CocoDetAnnotation> mine;
    for (const CocoDetAnnotation& x : r.annotations)
      if (x.image_id == r.images[i].id) mine.push_back(x);
    check_objects(mine, 40);
  }
  // A photo too narrow for the split's columns is an error naming it.
  write_png(data.dir.file("tiny.png"), two_tone_photo(10, 20));
  opt.backgrounds = {data.dir.file("tiny.png")};
  test::require_error([&] { write_det_synth(c.str(), opt); }, {"tiny.png (20 x 10) is too small", "columns 13..20"});
}

TEST_CASE("det_synth: the real set (Fashion-MNIST on opencv-doc photos) reads back with its rules", "[det_synth][may_skip]") {
  DetSynthOptions opt;
  opt.backgrounds = default_pose_backgrounds();
  if (opt.backgrounds.empty()) test::skip_test("no opencv-doc photos (apt-get install opencv-doc)");
  if (!std::filesystem::is_directory(default_fashion_mnist_dir()))
    test::skip_test(default_fashion_mnist_dir() + " not found (apt-get install dataset-fashion-mnist)");
  test::TempDir dir("det_synth");
  opt.count = 12;
  opt.size = 96;
  opt.seed = 5;
  opt.split = "test";
  const CocoDetDataset written = write_det_synth(dir.str(), opt);
  const CocoDetDataset r = read_coco_detection(dir.file("annotations.json"));
  REQUIRE(r.annotations.size() == written.annotations.size());
  CHECK(r.annotations.size() >= 12);
  std::vector<int> per_category(11, 0);
  for (const CocoDetImage& im : r.images) {
    std::vector<CocoDetAnnotation> mine;
    for (const CocoDetAnnotation& x : r.annotations)
      if (x.image_id == im.id) mine.push_back(x);
    CHECK((mine.size() >= 1 && mine.size() <= 4));
    check_objects(mine, 96);
  }
  for (const CocoDetAnnotation& x : r.annotations) ++per_category[static_cast<size_t>(x.category_id)];
  CHECK(std::count_if(per_category.begin() + 1, per_category.end(), [](int n) { return n > 0; }) >= 5);
}
