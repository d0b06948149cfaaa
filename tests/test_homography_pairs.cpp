// LIFT's homography pairs: on a tiny set generated from two seeded synthetic photos, the stored H
// maps each quadruplet's p to q, the four patches are bilinear crops of the stored views at the stored
// points (recomputed here), P3 and P4 keep their distances and P4 its low Harris response; the files
// are identical for a seed; the data set loader's shapes and targets; the split lists; the errors.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>

#include "core/thread_pool.h"
#include "tests/helpers.h"
#include "train/data/datasets.h"
#include "train/data/homography_pairs.h"
#include "train/io/image_io.h"
#include "train/io/json_at.h"

using namespace oc;
namespace fs = std::filesystem;

namespace {

// A W x H RGB "photo": a random background with 40 random rectangles of random colours (plenty of
// corners at every angle the homographies give them), seeded.
Tensor rectangles_photo(uint32_t seed, int64_t W, int64_t H) {
  std::mt19937 g(seed);
  Tensor t = Tensor::empty({3, H, W}, DType::u8);
  uint8_t* p = t.data<uint8_t>();
  for (int c = 0; c < 3; ++c) std::fill(p + c * H * W, p + (c + 1) * H * W, static_cast<uint8_t>(g() % 256));
  for (int k = 0; k < 40; ++k) {
    const int64_t x0 = g() % W, y0 = g() % H, w = 8 + g() % 60, h = 8 + g() % 60;
    const uint8_t rgb[3] = {static_cast<uint8_t>(g()), static_cast<uint8_t>(g()), static_cast<uint8_t>(g())};
    for (int c = 0; c < 3; ++c)
      for (int64_t y = y0; y < std::min(H, y0 + h); ++y)
        for (int64_t x = x0; x < std::min(W, x0 + w); ++x) p[(c * H + y) * W + x] = rgb[c];
  }
  return t;
}

// The bilinear sample of a gray [1,H,W] image at (x, y), reading 0 outside (pixel centres at integers).
double bilinear(const Tensor& img, double x, double y) {
  const int64_t H = img.size(1), W = img.size(2);
  const uint8_t* p = img.data<uint8_t>();
  const double fx = std::floor(x), fy = std::floor(y), ax = x - fx, ay = y - fy;
  auto at = [&](int64_t yy, int64_t xx) { return yy < 0 || yy >= H || xx < 0 || xx >= W ? 0.0 : double(p[yy * W + xx]); };
  const int64_t x0 = static_cast<int64_t>(fx), y0 = static_cast<int64_t>(fy);
  return (1 - ay) * ((1 - ax) * at(y0, x0) + ax * at(y0, x0 + 1)) + ay * ((1 - ax) * at(y0 + 1, x0) + ax * at(y0 + 1, x0 + 1));
}

// The largest difference between patch `k` of quadruplet `i` and a 64 x 64 crop of `img` centred at (x, y).
int patch_error(const Tensor& patches, int64_t i, int k, const Tensor& img, const double pt[2]) {
  const uint8_t* p = patches.data<uint8_t>() + (i * 4 + k) * 64 * 64;
  int worst = 0;
  for (int64_t r = 0; r < 64; ++r)
    for (int64_t c = 0; c < 64; ++c) {
      const double want = bilinear(img, pt[0] + c - 31.5, pt[1] + r - 31.5);
      worst = std::max(worst, static_cast<int>(std::lround(std::fabs(p[r * 64 + c] - want))));
    }
  return worst;
}

double distance(const double a[2], const double b[2]) { return std::hypot(a[0] - b[0], a[1] - b[1]); }

HomographyPairsOptions tiny_options(const std::string& photo_dir, uint64_t seed) {
  HomographyPairsOptions opt;
  opt.pairs_per_photo = 2;
  opt.points_per_pair = 8;
  opt.seed = seed;
  opt.photos = {photo_dir + "/one.png", photo_dir + "/two.png"};
  return opt;
}

// Two synthetic photos and the set generated from them with seed 3, made once for all the tests.
struct TinySet {
  test::TempDir photos{"lift_photos"}, out{"lift_pairs"};
  HomographyPairsSummary summary;
  TinySet() {
    write_png(photos.file("one.png"), rectangles_photo(1, 400, 300));
    write_png(photos.file("two.png"), rectangles_photo(2, 333, 290));
    summary = write_homography_pairs(out.str(), tiny_options(photos.str(), 3));
  }
};
const TinySet& tiny_set() {
  static const TinySet set;
  return set;
}

}  // namespace

TEST_CASE("homography_pairs: the split photo lists are disjoint and leave out graf1, graf3 and messi5",
          "[lift_data]") {
  const auto& train = homography_pairs_photo_names("train");
  const auto& test = homography_pairs_photo_names("test");
  CHECK(train.size() >= 20);
  CHECK(test.size() >= 4);
  std::set<std::string> seen(train.begin(), train.end());
  CHECK(seen.size() == train.size());
  for (const std::string& t : test) CHECK(seen.insert(t).second);
  for (const char* never : {"graf1.png", "graf3.png", "messi5.jpg"}) CHECK(seen.count(never) == 0);
  test::require_error([] { homography_pairs_photo_names("val"); }, {"split", "val"});
}

TEST_CASE("homography_pairs_view: gray by luma, centre crop to the aspect, area average (hand-computed)",
          "[lift_data]") {
  // 8 x 4 gray, target 2 x 2: the centre 4 x 4 (columns 2..5) in 2 x 2 blocks; the outer columns
  // (200) must not leak in.
  const uint8_t rows[4][8] = {{200, 200, 10, 20, 50, 50, 200, 200},
                              {200, 200, 30, 40, 50, 50, 200, 200},
                              {200, 200, 0, 0, 1, 2, 200, 200},
                              {200, 200, 255, 255, 3, 4, 200, 200}};
  Tensor photo = Tensor::empty({1, 4, 8}, DType::u8);
  std::memcpy(photo.data<uint8_t>(), rows, 32);
  const Tensor v = homography_pairs_view(photo, 2, 2);
  REQUIRE(v.shape() == Shape{1, 2, 2});
  const uint8_t* p = v.data<uint8_t>();
  CHECK(int(p[0]) == 25);   // (10 + 20 + 30 + 40) / 4
  CHECK(int(p[1]) == 50);
  CHECK(int(p[2]) == 128);  // 127.5 rounds up
  CHECK(int(p[3]) == 3);    // 2.5 rounds up
  // RGB (100, 150, 200) is luma 0.299 * 100 + 0.587 * 150 + 0.114 * 200 = 140.75; growing stays flat.
  Tensor rgb = Tensor::empty({3, 30, 40}, DType::u8);
  for (int c = 0; c < 3; ++c) std::fill(rgb.data<uint8_t>() + c * 1200, rgb.data<uint8_t>() + (c + 1) * 1200, 100 + 50 * c);
  const Tensor grown = homography_pairs_view(rgb, 64, 48);
  REQUIRE(grown.shape() == Shape{1, 48, 64});
  for (int64_t i = 0; i < grown.numel(); ++i) REQUIRE(int(grown.data<uint8_t>()[i]) == 141);
}

TEST_CASE("homography_pairs: H maps p to q, the patches are crops of the stored views at the stored points",
          "[lift_data]") {
  const TinySet& set = tiny_set();
  const std::vector<HomographyPair> pairs = read_homography_pairs(set.out.str());
  const std::vector<PatchQuadruplet> quads = read_patch_quadruplets(set.out.str());
  REQUIRE(pairs.size() == 4);
  CHECK(set.summary.pairs == 4);
  CHECK(set.summary.photos == 2);
  CHECK(pairs[0].photo == "one.png");
  CHECK(pairs[3].photo == "two.png");
  CHECK(pairs[1].a == (fs::path(set.out.str()) / "pairs/000001_a.png").string());
  REQUIRE(static_cast<int64_t>(quads.size()) == set.summary.quadruplets);
  REQUIRE(quads.size() >= 16);  // the rectangles give far more than 4 repeated corners per pair
  const ImageDataset ds = load_homography_patches(set.out.str());
  REQUIRE(ds.images.shape() == Shape{static_cast<int64_t>(quads.size()), 4, 64, 64});

  std::vector<Tensor> a, b;
  std::vector<std::vector<float>> response_a;
  std::vector<std::vector<Corner>> corners_a, corners_b;
  for (const HomographyPair& p : pairs) {
    a.push_back(read_image(p.a));
    b.push_back(read_image(p.b));
    REQUIRE(a.back().shape() == Shape{1, 240, 320});
    response_a.push_back(harris_response(a.back().data<uint8_t>(), 240, 320, lift_harris_options()));
    corners_a.push_back(harris_corners(response_a.back(), 240, 320, lift_harris_options()));
    corners_b.push_back(harris_corners(b.back().data<uint8_t>(), 240, 320, lift_harris_options()));
  }
  for (size_t i = 0; i < quads.size(); ++i) {
    const PatchQuadruplet& q = quads[i];
    INFO("quadruplet " << i << " of pair " << q.pair);
    REQUIRE(q.pair >= 0);
    REQUIRE(q.pair < 4);
    const size_t k = static_cast<size_t>(q.pair);
    const Homography& h = pairs[k].h;
    double x, y;
    homography_apply(h, q.p[0], q.p[1], &x, &y);
    CHECK(x == Approx(q.q[0]).margin(1e-3));
    CHECK(y == Approx(q.q[1]).margin(1e-3));
    // Inside both views with the margin, and repeated: b has a corner within 2 px of q.
    CHECK(std::min({q.p[0], q.p[1], q.q[0], q.q[1]}) >= kLiftMargin);
    CHECK(std::max(q.p[0], q.q[0]) <= 319 - kLiftMargin);
    CHECK(std::max(q.p[1], q.q[1]) <= 239 - kLiftMargin);
    CHECK(std::any_of(corners_b[k].begin(), corners_b[k].end(),
                      [&](const Corner& c) { return std::hypot(c.x - q.q[0], c.y - q.q[1]) <= kLiftRepeatRadius; }));
    const int64_t n = static_cast<int64_t>(i);
    CHECK(patch_error(ds.images, n, 0, a[k], q.p) <= 1);
    CHECK(patch_error(ds.images, n, 1, b[k], q.q) <= 1);
    CHECK(patch_error(ds.images, n, 2, b[k], q.negative) <= 1);
    CHECK(patch_error(ds.images, n, 3, a[k], q.non_keypoint) <= 1);
    CHECK(distance(q.negative, q.q) >= kLiftMinApart);
    // P4: a whole pixel of low response, away from every corner of a.
    REQUIRE(q.non_keypoint[0] == std::floor(q.non_keypoint[0]));
    const size_t at = static_cast<size_t>(q.non_keypoint[1] * 320 + q.non_keypoint[0]);
    CHECK(response_a[k][at] < kLiftNonKeypointResponse);
    for (const Corner& c : corners_a[k]) CHECK(std::hypot(c.x - q.non_keypoint[0], c.y - q.non_keypoint[1]) >= kLiftMinApart);
    // The stored angle and scale are H's local similarity at p (the file rounds them to 1e-7).
    const LocalSimilarity s = homography_local_similarity(h, q.p[0], q.p[1]);
    CHECK(q.angle == Approx(s.angle).margin(1e-6));
    CHECK(q.scale == Approx(s.scale).margin(1e-6));
    CHECK(std::fabs(q.angle) < 0.7);  // 30 degrees of rotation plus some perspective shear
  }
}

TEST_CASE("homography_pairs: the same seed writes identical files on any thread count, another seed or split other pairs",
          "[lift_data]") {
  const TinySet& set = tiny_set();
  test::TempDir again("lift_again"), other("lift_other"), test_split("lift_test_split");
  // The first set was written with the default thread count; this one on one thread.
  set_num_threads(1);
  write_homography_pairs(again.str(), tiny_options(set.photos.str(), 3));
  set_num_threads(0);
  for (const char* f : {"pairs.json", "patches.json", "patches.idx.gz", "pairs/000000_a.png", "pairs/000003_b.png"})
    CHECK(test::read_file_bytes(set.out.file(f)) == test::read_file_bytes(again.file(f)));
  CHECK(!fs::exists(again.file("pairs.json.tmp")));
  HomographyPairsOptions opt = tiny_options(set.photos.str(), 4);
  opt.pairs_per_photo = 1;
  write_homography_pairs(other.str(), opt);
  const auto first = read_homography_pairs(set.out.str()), second = read_homography_pairs(other.str());
  REQUIRE(second.size() == 2);
  CHECK(std::memcmp(first[0].h.m, second[0].h.m, sizeof first[0].h.m) != 0);
  CHECK(test::read_file_bytes(set.out.file("pairs/000000_b.png")) != test::read_file_bytes(other.file("pairs/000000_b.png")));
  // The test split draws from seed + kHomographyPairsTestSeedOffset: seed 3 there is not seed 3 here.
  opt = tiny_options(set.photos.str(), 3);
  opt.split = "test";
  opt.pairs_per_photo = 1;
  CHECK(homography_pairs_stream_seed(opt) == 3 + kHomographyPairsTestSeedOffset);
  write_homography_pairs(test_split.str(), opt);
  CHECK(std::memcmp(first[0].h.m, read_homography_pairs(test_split.str())[0].h.m, sizeof first[0].h.m) != 0);
}

TEST_CASE("homography_patches data set: four patches as channels, zero labels, (angle, scale, photo, point) targets, limits",
          "[lift_data]") {
  const TinySet& set = tiny_set();
  const std::vector<PatchQuadruplet> quads = read_patch_quadruplets(set.out.str());
  DataSettings d;
  d.dataset = "homography_patches";
  d.train_dir = set.out.str();
  d.test_dir = set.out.str();
  d.train_limit = 5;
  const ImageDataset train = load_split(d, "train");
  const ImageDataset test = load_split(d, "test");
  CHECK(train.images.shape() == Shape{5, 4, 64, 64});
  CHECK(train.images.dtype() == DType::u8);
  REQUIRE(test.size() == static_cast<int64_t>(quads.size()));
  CHECK(test.labels.dtype() == DType::i64);
  CHECK(test.num_classes == 0);
  REQUIRE(test.targets.shape() == Shape{test.size(), 5});
  const std::vector<HomographyPair> pairs = read_homography_pairs(set.out.str());
  for (int64_t i = 0; i < test.size(); ++i) {
    const PatchQuadruplet& q = quads[static_cast<size_t>(i)];
    const float* row = test.targets.data<float>() + 5 * i;
    CHECK(test.labels.data<int64_t>()[i] == 0);
    CHECK(row[0] == static_cast<float>(q.angle));
    CHECK(row[1] == static_cast<float>(q.scale));
    CHECK(row[2] == (pairs[static_cast<size_t>(q.pair)].photo == "one.png" ? 0.0f : 1.0f));
    CHECK(row[3] == static_cast<float>(q.p[0]));
    CHECK(row[4] == static_cast<float>(q.p[1]));
  }
  CHECK(std::memcmp(train.images.data<uint8_t>(), test.images.data<uint8_t>(), 5 * 4 * 64 * 64) == 0);
}

TEST_CASE("homography_pairs: missing or malformed files and bad options are errors naming them", "[lift_data]") {
  const TinySet& set = tiny_set();
  test::TempDir dir("lift_bad");
  test::require_error([&] { read_homography_pairs(dir.str()); }, {dir.file("pairs.json"), "no such file"});
  test::require_error([&] { load_homography_patches(dir.str()); }, {dir.file("patches.idx.gz"), "no such file"});
  std::ofstream(dir.file("pairs.json")) << R"([{"a": "x_a.png", "b": "x_b.png", "H": [1, 0, 0, 0, 1, 0, 0, 0], "photo": "p.jpg"}])";
  test::require_error([&] { read_homography_pairs(dir.str()); }, {dir.file("pairs.json"), "[0].H", "9 numbers"});
  std::ofstream(dir.file("pairs.json")) << R"([{"a": "x_a.png", "H": [1, 0, 0, 0, 1, 0, 0, 0, 1], "photo": "p.jpg"}])";
  test::require_error([&] { read_homography_pairs(dir.str()); }, {dir.file("pairs.json"), "[0]", "\"b\""});
  // patches.json describing fewer quadruplets than patches.idx.gz holds.
  fs::copy_file(set.out.file("patches.idx.gz"), dir.file("patches.idx.gz"));
  std::ofstream(dir.file("patches.json")) << R"([{"pair": 0, "p": [40, 40], "q": [41, 42], "negative": [90, 90],
      "non_keypoint": [60, 60], "angle": 0.1, "scale": 1.0}])";
  test::require_error([&] { load_homography_patches(dir.str()); }, {dir.file("patches.idx.gz"), "describes 1"});
  std::ofstream(dir.file("patches.json")) << R"([{"pair": 0, "p": [40], "q": [41, 42], "negative": [90, 90],
      "non_keypoint": [60, 60], "angle": 0.1, "scale": 1.0}])";
  test::require_error([&] { read_patch_quadruplets(dir.str()); }, {dir.file("patches.json"), "[0].p", "[x, y]"});

  HomographyPairsOptions bad = tiny_options(set.photos.str(), 0);
  bad.width = 64;
  test::require_error([&] { bad.check(); }, {"size", "64x240"});
  bad = tiny_options(set.photos.str(), 0);
  bad.pairs_per_photo = 0;
  test::require_error([&] { write_homography_pairs(dir.file("never"), bad); }, {"pairs_per_photo"});
  CHECK(!fs::exists(dir.file("never")));
  bad = tiny_options(set.photos.str(), 0);
  bad.photos = {dir.file("absent.png")};
  test::require_error([&] { write_homography_pairs(dir.file("out"), bad); }, {"absent.png"});
}

TEST_CASE("homography_pairs: the default photos exist and give quadruplets", "[lift_data][may_skip]") {
  const std::vector<std::string> train = homography_pairs_photos("train");
  if (train.empty()) test::skip_test("no opencv-doc photos (apt-get install opencv-doc)");
  // Every listed name is a file of the package: a typo would silently shrink the set.
  CHECK(train.size() == homography_pairs_photo_names("train").size());
  CHECK(homography_pairs_photos("test").size() == homography_pairs_photo_names("test").size());
  HomographyPairsOptions opt;
  const Tensor view = homography_pairs_view(read_image(train[0]), opt.width, opt.height);
  CHECK(generate_homography_pair(opt, view, 0).quadruplets.size() >= 8);
}
