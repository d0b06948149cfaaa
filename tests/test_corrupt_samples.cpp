// Unreadable images in a data set (data.skip_corrupt): by default the loader stops with an error
// naming the file; with skipping on, the image leaves the split with its label, people or boxes,
// the survivors keep their own targets, and the log says how many were skipped.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

#include "tests/helpers.h"
#include "train/data/corrupt_images.h"
#include "train/data/datasets.h"
#include "train/data/dataset.h"
#include "train/data/det_dataset.h"
#include "train/data/pose_dataset.h"
#include "train/data/pose_synth.h"
#include "train/io/coco_detection.h"
#include "train/io/image_io.h"

using namespace oc;
namespace fs = std::filesystem;

namespace {

// Random pixels, so every image differs from every other.
Tensor random_image(int64_t channels, int64_t height, int64_t width, std::mt19937& rng) {
  std::vector<uint8_t> px(static_cast<size_t>(channels * height * width));
  for (uint8_t& v : px) v = static_cast<uint8_t>(rng() % 256);
  return from_vector(px, {channels, height, width});
}

// The third way an image goes bad: deleted (a file the annotations list but the directory lacks),
// or, where only the files present count (image_folder), text in place of the image.
enum class Third { remove, text };

// Three ways an image goes bad: cut in half, overwritten with random bytes, and `third`. Returns
// them in that order.
std::vector<std::string> corrupt_three(const std::string& truncate, const std::string& garbage,
                                       const std::string& third, Third how = Third::remove) {
  fs::resize_file(truncate, fs::file_size(truncate) / 2);
  std::mt19937 rng(77);
  std::string bytes(300, '\0');
  for (char& c : bytes) c = static_cast<char>(rng() % 256);
  std::ofstream(garbage, std::ios::binary | std::ios::trunc) << bytes;
  if (how == Third::remove)
    fs::remove(third);
  else
    std::ofstream(third, std::ios::binary | std::ios::trunc) << "not an image, only a name that says so\n";
  return {truncate, garbage, third};
}

// Expects f() to throw an oc::Error naming one of `files`.
template <class F>
void require_error_naming_one_of(F f, const std::vector<std::string>& files) {
  try {
    f();
  } catch (const Error& e) {
    const std::string msg = e.what();
    INFO("message: " << msg);
    bool named = false;
    for (const std::string& file : files) named = named || msg.find(file) != std::string::npos;
    CHECK(named);
    return;
  }
  FAIL("no oc::Error thrown");
}

// Row i of a [N, ...] tensor's values.
template <class T>
std::vector<T> row(const Tensor& t, int64_t i) {
  return to_vector<T>(select(t, 0, i));
}

// What the process writes to stderr (where core/log.h's lines go) while it lives.
class StderrCapture {
 public:
  explicit StderrCapture(const std::string& file) : file_(file) {
    std::fflush(stderr);
    saved_ = dup(fileno(stderr));
    std::FILE* f = std::fopen(file.c_str(), "w");
    REQUIRE(f != nullptr);
    dup2(fileno(f), fileno(stderr));
    std::fclose(f);
  }
  ~StderrCapture() { restore(); }
  std::string text() {
    restore();
    return test::read_file_bytes(file_);
  }

 private:
  void restore() {
    if (saved_ < 0) return;
    std::fflush(stderr);
    dup2(saved_, fileno(stderr));
    close(saved_);
    saved_ = -1;
  }
  std::string file_;
  int saved_ = -1;
};

// ---- image_folder: 9 random 5 x 7 RGB images in classes a, b, c (3 each, sorted a0..c2).
void write_folder(const std::string& root) {
  std::mt19937 rng(11);
  for (const char* cls : {"a", "b", "c"}) {
    fs::create_directories(fs::path(root) / cls);
    for (int i = 0; i < 3; ++i)
      write_png((fs::path(root) / cls / str_cat(cls, i, ".png")).string(), random_image(3, 5, 7, rng));
  }
}

// ---- det_coco: 8 random 16 x 20 images, 1 to 3 boxes each, every other one with a mask.
constexpr int64_t kDetH = 16, kDetW = 20, kDetImages = 8, kDetM = 3;
void write_det_dir(const std::string& dir) {
  std::mt19937 rng(5);
  fs::create_directories(dir + "/images");
  CocoDetDataset c;
  c.categories = {{3, "three"}, {8, "eight"}};
  int64_t id = 1;
  for (int64_t i = 0; i < kDetImages; ++i) {
    const std::string name = str_cat("d", i, ".png");
    write_png(dir + "/images/" + name, random_image(3, kDetH, kDetW, rng));
    c.images.push_back({40 + i, name, kDetW, kDetH});
    for (int64_t k = 0, objects = 1 + static_cast<int64_t>(rng() % 3); k < objects; ++k) {
      CocoDetAnnotation a;
      a.id = id++, a.image_id = 40 + i, a.category_id = rng() % 2 ? 3 : 8;
      const double w = 3 + rng() % 8, h = 3 + rng() % 6;
      a.bbox = {double(rng() % static_cast<uint32_t>(kDetW - w)), double(rng() % static_cast<uint32_t>(kDetH - h)), w,
                h};
      a.area = w * h;
      if (a.id % 2 == 0) {
        std::vector<uint8_t> m(static_cast<size_t>(kDetH * kDetW), 0);
        for (int64_t v = 0; v < kDetH; ++v)
          for (int64_t u = 0; u < kDetW; ++u) m[static_cast<size_t>(v * kDetW + u)] = rng() % 3 == 0;
        a.mask = rle_encode(m.data(), kDetH, kDetW);
      }
      c.annotations.push_back(a);
    }
  }
  write_coco_detection(dir + "/annotations.json", c);
}

// ---- pose_coco: 8 synthetic 48 x 48 images of 1 or 2 people.
CocoKeypoints write_pose_dir(const std::string& dir) {
  PoseSynthOptions o;
  o.count = 8, o.size = 48, o.min_people = 1, o.max_people = 2, o.seed = 13;
  return write_pose_synth(dir, o);
}

}  // namespace

TEST_CASE("corrupt samples: image_folder stops naming the file, or skips it with its label") {
  test::TempDir dir("ocellus_corrupt_folder");
  const std::string root = dir.file("set");
  write_folder(root);
  const ImageDataset clean = load_image_folder(root);
  REQUIRE(clean.size() == 9);
  REQUIRE(clean.skipped.skipped == 0);
  // Samples 1 (a1), 4 (b1) and 8 (c2) go bad.
  const std::vector<std::string> bad =
      corrupt_three(root + "/a/a1.png", root + "/b/b1.png", root + "/c/c2.png", Third::text);

  // The default: the first bad file in reading order, by name and reason.
  test::require_error([&] { load_image_folder(root); }, {bad[0], "cannot decode"});

  const ImageDataset ds = load_image_folder(root, 0, 0, true);
  const std::vector<int64_t> kept = {0, 2, 3, 5, 6, 7};
  REQUIRE(ds.size() == 6);
  REQUIRE(ds.images.shape() == (Shape{6, 3, 5, 7}));
  CHECK(to_vector<int64_t>(ds.labels) == std::vector<int64_t>{0, 0, 1, 1, 2, 2});
  for (size_t j = 0; j < kept.size(); ++j) {
    INFO("survivor " << j << " is clean sample " << kept[j]);
    CHECK(row<uint8_t>(ds.images, static_cast<int64_t>(j)) == row<uint8_t>(clean.images, kept[j]));
  }
  CHECK(ds.skipped.skipped == 3);
  CHECK(ds.skipped.total == 9);
  CHECK(ds.skipped.first_error.rfind(bad[0] + ": cannot decode (", 0) == 0);

  // A limit comes first: of the first 4 files, a1 is the only bad one.
  const ImageDataset first4 = load_image_folder(root, 0, 4, true);
  CHECK(first4.size() == 3);
  CHECK(first4.skipped.skipped == 1);
  CHECK(first4.skipped.total == 4);

  // With every image bad, skipping still ends in an error.
  for (const char* cls : {"a", "b", "c"})
    for (int i = 0; i < 3; ++i) fs::resize_file(root + "/" + cls + "/" + str_cat(cls, i, ".png"), 10);
  test::require_error([&] { load_image_folder(root, 0, 0, true); },
                      {"load_image_folder: " + root, "none of the 9 images could be read", "a0.png"});
}

TEST_CASE("corrupt samples: pose_coco leaves out an unreadable image with its people") {
  test::TempDir dir("ocellus_corrupt_pose");
  const CocoKeypoints coco = write_pose_dir(dir.str());
  const PoseDataset clean = load_pose_dataset(dir.str(), 2);
  REQUIRE(clean.data.size() == 8);
  const std::string images = dir.file("images") + "/";
  const std::vector<std::string> bad = corrupt_three(images + coco.images[2].file_name,
                                                     images + coco.images[5].file_name,
                                                     images + coco.images[0].file_name);
  require_error_naming_one_of([&] { load_pose_dataset(dir.str(), 2); }, bad);

  const PoseDataset ds = load_pose_dataset(dir.str(), 2, 0, true);
  const std::vector<int64_t> kept = {1, 3, 4, 6, 7};
  REQUIRE(ds.data.size() == 5);
  REQUIRE(ds.people.size() == 5);
  REQUIRE(ds.image_ids.size() == 5);
  REQUIRE(ds.to_image.size() == 5);
  for (size_t j = 0; j < kept.size(); ++j) {
    const int64_t i = kept[j], s = static_cast<int64_t>(j);
    INFO("survivor " << j << " is clean sample " << i);
    CHECK(ds.image_ids[j] == clean.image_ids[static_cast<size_t>(i)]);
    CHECK(row<uint8_t>(ds.data.images, s) == row<uint8_t>(clean.data.images, i));
    CHECK(row<float>(ds.data.targets, s) == row<float>(clean.data.targets, i));
    REQUIRE(ds.people[j].size() == clean.people[static_cast<size_t>(i)].size());
    CHECK(ds.people[j][0].id == clean.people[static_cast<size_t>(i)][0].id);
  }
  CHECK(ds.data.skipped.skipped == 3);
  CHECK(ds.data.skipped.total == 8);
  // Sample 0 (the deleted file) is the first failure.
  CHECK(ds.data.skipped.first_error.rfind(bad[2] + ": cannot open (", 0) == 0);
}

TEST_CASE("corrupt samples: pose_coco crops drop every person of an unreadable image") {
  test::TempDir dir("ocellus_corrupt_crops");
  const CocoKeypoints coco = write_pose_dir(dir.str());
  PoseAugmentOptions crop;
  crop.size = 24;
  const PoseDataset clean = load_pose_crops(dir.str(), crop, false, 3);
  const std::string images = dir.file("images") + "/";
  const std::vector<std::string> bad = corrupt_three(images + coco.images[1].file_name,
                                                     images + coco.images[4].file_name,
                                                     images + coco.images[6].file_name);
  require_error_naming_one_of([&] { load_pose_crops(dir.str(), crop, false, 3); }, bad);

  const PoseDataset ds = load_pose_crops(dir.str(), crop, false, 3, 0, true);
  // The clean crops whose image survived, in order.
  std::vector<int64_t> kept;
  for (size_t i = 0; i < clean.image_ids.size(); ++i) {
    const int64_t id = clean.image_ids[i];
    if (id != coco.images[1].id && id != coco.images[4].id && id != coco.images[6].id)
      kept.push_back(static_cast<int64_t>(i));
  }
  REQUIRE(kept.size() < clean.image_ids.size() - 2);  // at least one crop per bad image left
  REQUIRE(ds.data.size() == static_cast<int64_t>(kept.size()));
  for (size_t j = 0; j < kept.size(); ++j) {
    const int64_t i = kept[j], s = static_cast<int64_t>(j);
    INFO("survivor " << j << " is clean crop " << i);
    CHECK(ds.image_ids[j] == clean.image_ids[static_cast<size_t>(i)]);
    CHECK(ds.people[j][0].id == clean.people[static_cast<size_t>(i)][0].id);
    CHECK(row<uint8_t>(ds.data.images, s) == row<uint8_t>(clean.data.images, i));
    CHECK(row<float>(ds.data.targets, s) == row<float>(clean.data.targets, i));
  }
  // Counted by image, not by crop.
  CHECK(ds.data.skipped.skipped == 3);
  CHECK(ds.data.skipped.total == 8);
}

TEST_CASE("corrupt samples: det_coco leaves out an unreadable image with its boxes, masks and annotations") {
  test::TempDir dir("ocellus_corrupt_det");
  write_det_dir(dir.str());
  const DetDataset clean = load_detection_dataset(dir.str(), kDetM, 0, true);
  REQUIRE(clean.data.size() == kDetImages);
  const std::string images = dir.file("images") + "/";
  const std::vector<std::string> bad = corrupt_three(images + "d6.png", images + "d3.png", images + "d1.png");
  require_error_naming_one_of([&] { load_detection_dataset(dir.str(), kDetM, 0, true); }, bad);

  const DetDataset ds = load_detection_dataset(dir.str(), kDetM, 0, true, true);
  const std::vector<int64_t> kept = {0, 2, 4, 5, 7};
  REQUIRE(ds.data.size() == 5);
  REQUIRE(ds.data.masks.shape() == (Shape{5, kDetM, kDetH, kDetW}));
  REQUIRE(ds.coco.images.size() == 5);
  for (size_t j = 0; j < kept.size(); ++j) {
    const int64_t i = kept[j], s = static_cast<int64_t>(j);
    INFO("survivor " << j << " is clean sample " << i);
    CHECK(ds.coco.images[j].id == 40 + i);
    CHECK(row<uint8_t>(ds.data.images, s) == row<uint8_t>(clean.data.images, i));
    CHECK(row<float>(ds.data.targets, s) == row<float>(clean.data.targets, i));
    CHECK(row<uint8_t>(ds.data.masks, s) == row<uint8_t>(clean.data.masks, i));
  }
  // The ground truth keeps exactly the survivors' annotations.
  size_t expected_annotations = 0;
  for (const CocoDetAnnotation& a : clean.coco.annotations)
    expected_annotations += a.image_id != 41 && a.image_id != 43 && a.image_id != 46;
  CHECK(ds.coco.annotations.size() == expected_annotations);
  for (const CocoDetAnnotation& a : ds.coco.annotations) {
    CHECK(a.image_id != 41);
    CHECK(a.image_id != 43);
    CHECK(a.image_id != 46);
  }
  CHECK(ds.data.skipped.skipped == 3);
  CHECK(ds.data.skipped.total == 8);
  CHECK(ds.data.skipped.first_error.rfind(bad[2] + ": cannot open (", 0) == 0);
}

TEST_CASE("corrupt samples: data.skip_corrupt through the registry logs once per split what was skipped") {
  test::TempDir dir("ocellus_corrupt_log");
  write_det_dir(dir.file("det"));
  write_folder(dir.file("folder"));
  const std::vector<std::string> bad_det =
      corrupt_three(dir.file("det/images/d2.png"), dir.file("det/images/d5.png"), dir.file("det/images/d7.png"));
  corrupt_three(dir.file("folder/c/c0.png"), dir.file("folder/a/a2.png"), dir.file("folder/b/b0.png"), Third::text);

  DataSettings d;
  d.dataset = "det_coco";
  d.train_dir = d.test_dir = dir.file("det");
  const DatasetKind& det = dataset_registry().at("det_coco", "data.dataset").factory;
  require_error_naming_one_of([&] { det.load_detections(d, "test", kDetM, false); }, bad_det);

  d.skip_corrupt = true;
  std::string log;
  {
    StderrCapture capture(dir.file("stderr.txt"));
    CHECK(det.load_detections(d, "test", kDetM, false).data.size() == 5);
    log = capture.text();
  }
  const std::string first = bad_det[0] + ": cannot decode (";
  INFO("log: " << log);
  CHECK(log.rfind("data: test split: skipped 3 of 8 images that could not be read (first: " + first, 0) == 0);
  CHECK(log.find('\n') == log.size() - 1);  // one line

  // image_folder with a limit of 7: b0, a2 and c0 are among a0..c0.
  d.dataset = "image_folder";
  d.train_dir = d.test_dir = dir.file("folder");
  d.train_limit = 7;
  {
    StderrCapture capture(dir.file("stderr2.txt"));
    CHECK(load_split(d, "train").size() == 4);
    log = capture.text();
  }
  CHECK(log.rfind("data: train split: skipped 3 of 7 images that could not be read (first: " + dir.file("folder") +
                      "/a/a2.png: ",
                  0) == 0);

  // Nothing skipped: nothing said.
  d.dataset = "image_folder";
  d.train_limit = 2;
  {
    StderrCapture capture(dir.file("stderr3.txt"));
    CHECK(load_split(d, "train").size() == 2);
    log = capture.text();
  }
  CHECK(log.empty());
}

TEST_CASE("corrupt samples: the log line names the split, the counts and the first failure") {
  SkippedImages s;
  s.total = 500;
  CHECK(skipped_images_line("test", s).empty());
  s.skipped = 2;
  s.first_error = "DIR/images/000013.png: cannot decode (bad png sig)";
  CHECK(skipped_images_line("test", s) ==
        "data: test split: skipped 2 of 500 images that could not be read (first: DIR/images/000013.png: cannot "
        "decode (bad png sig))");
}
