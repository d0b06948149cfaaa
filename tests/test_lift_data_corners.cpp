// The pieces under LIFT's training data: Harris corners on constructed images (a square's four
// corners, none on flat images or straight edges), random homographies (each part within its range,
// a pure function of (seed, index)), the local similarity of a homography, and IDX writing.
#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include "tests/helpers.h"
#include "train/data/corners.h"
#include "train/data/random_homography.h"
#include "train/io/idx.h"

using namespace oc;

namespace {

constexpr double kPi = 3.14159265358979323846;

// An H x W gray image of `background` with the pixels [x0, x1) x [y0, y1) set to `value`.
std::vector<uint8_t> rectangle_image(int64_t H, int64_t W, int64_t x0, int64_t y0, int64_t x1, int64_t y1,
                                     uint8_t background, uint8_t value) {
  std::vector<uint8_t> img(static_cast<size_t>(H * W), background);
  for (int64_t y = y0; y < y1; ++y)
    for (int64_t x = x0; x < x1; ++x) img[static_cast<size_t>(y * W + x)] = value;
  return img;
}

// Adds seeded noise of +-amplitude grey levels (clamped), so that no test relies on exact ties.
void add_noise(std::vector<uint8_t>& img, uint32_t seed, int amplitude) {
  std::mt19937 g(seed);
  for (uint8_t& v : img) v = static_cast<uint8_t>(std::clamp<int>(v + static_cast<int>(g() % (2 * amplitude + 1)) - amplitude, 0, 255));
}

// Rotation by `degrees` (as homography_rotation) and scaling by `scale` about (cx, cy).
Homography similarity_about(double degrees, double scale, double cx, double cy) {
  Homography h = homography_mul(homography_scaling(scale), homography_translation(-cx, -cy));
  h = homography_mul(homography_rotation(degrees), h);
  return homography_mul(homography_translation(cx, cy), h);
}

bool same(const Homography& a, const Homography& b) {
  for (int k = 0; k < 9; ++k)
    if (a.m[k] != b.m[k]) return false;
  return true;
}

}  // namespace

TEST_CASE("harris: a bright square's four corners are found within 1 px, and nothing else", "[lift_data]") {
  // Pixels 20..43 are white: the square's corner pixels are 20 and 43. (Its geometric corners, the
  // pixel edges 19.5 and 43.5, lie about 1.3 px away along the diagonal from where the response
  // peaks: Harris with a Gaussian window finds an L corner slightly inside its angle, where both
  // edges fall in the window, equally in every view.)
  std::vector<uint8_t> img = rectangle_image(64, 64, 20, 20, 44, 44, 0, 255);
  add_noise(img, 7, 2);
  const std::vector<Corner> corners = harris_corners(img.data(), 64, 64, HarrisOptions{});
  REQUIRE(corners.size() == 4);
  const double want[4][2] = {{20, 20}, {43, 20}, {20, 43}, {43, 43}};
  for (const auto& w : want) {
    double best = 1e9;
    for (const Corner& c : corners) best = std::min(best, std::hypot(c.x - w[0], c.y - w[1]));
    INFO("corner " << w[0] << ", " << w[1]);
    CHECK(best <= 1.0);
  }
  for (size_t i = 1; i < corners.size(); ++i) CHECK(corners[i - 1].response >= corners[i].response);
  // A full-contrast corner: about 3e-3 (the scale the thresholds in corners.h refer to).
  CHECK(corners[0].response > 1e-3);
  CHECK(corners[0].response < 1e-2);
}

TEST_CASE("harris: a flat image and a straight edge have no corners", "[lift_data]") {
  std::vector<uint8_t> flat(48 * 64, 137);
  CHECK(harris_corners(flat.data(), 48, 64, HarrisOptions{}).empty());
  for (float r : harris_response(flat.data(), 48, 64, HarrisOptions{})) REQUIRE(r == 0.0f);
  // A vertical and a horizontal step across the whole image (borders are replicated, so their ends
  // are no corners either); the response along an edge is negative (one large eigenvalue).
  std::vector<uint8_t> vertical = rectangle_image(48, 64, 30, 0, 64, 48, 10, 240);
  std::vector<uint8_t> horizontal = rectangle_image(48, 64, 0, 20, 64, 48, 240, 10);
  add_noise(vertical, 3, 1);
  add_noise(horizontal, 4, 1);
  CHECK(harris_corners(vertical.data(), 48, 64, HarrisOptions{}).empty());
  CHECK(harris_corners(horizontal.data(), 48, 64, HarrisOptions{}).empty());
  CHECK(harris_response(vertical.data(), 48, 64, HarrisOptions{})[24 * 64 + 30] < 0);
}

TEST_CASE("harris: max_corners keeps the strongest, the radius suppresses near maxima, bad options are errors",
          "[lift_data]") {
  // A column of four 8 px squares of rising contrast, 22 px apart: 16 corners, 8 px apart within a square.
  const int64_t S = 128;
  std::vector<uint8_t> img(S * S, 0);
  for (int k = 0; k < 4; ++k)
    for (int64_t y = 10 + 30 * k; y < 18 + 30 * k; ++y)
      for (int64_t x = 10; x < 18; ++x) img[static_cast<size_t>(y * S + x)] = static_cast<uint8_t>(120 + 45 * k);
  add_noise(img, 11, 1);
  HarrisOptions all;
  const std::vector<Corner> every = harris_corners(img.data(), S, S, all);
  REQUIRE(every.size() == 16);
  HarrisOptions top;
  top.max_corners = 4;
  const std::vector<Corner> strongest = harris_corners(img.data(), S, S, top);
  REQUIRE(strongest.size() == 4);
  for (const Corner& c : strongest) CHECK(c.y > 95);  // the brightest square is the lowest one (rows 100..107)
  // A radius above the square's diagonal (11.3 px) and below the gap between squares leaves one per square.
  HarrisOptions wide;
  wide.radius = 13;
  CHECK(harris_corners(img.data(), S, S, wide).size() == 4);
  HarrisOptions bad;
  bad.sigma = 0;
  test::require_error([&] { harris_response(img.data(), 96, 96, bad); }, {"sigma"});
  bad = HarrisOptions{};
  bad.radius = 0;
  test::require_error([&] { harris_corners(img.data(), 96, 96, bad); }, {"radius"});
}

TEST_CASE("homography_local_similarity: rotation and scale about any centre, sign as homography_rotation",
          "[lift_data]") {
  const Homography h = similarity_about(30, 1.25, 160, 120);
  const double points[2][2] = {{160, 120}, {17.5, 230}};
  for (const auto& p : points) {
    const LocalSimilarity s = homography_local_similarity(h, p[0], p[1]);
    CHECK(s.angle == Approx(30 * kPi / 180).margin(1e-12));
    CHECK(s.scale == Approx(1.25).margin(1e-12));
  }
  // Counter-clockwise as displayed, y down: a step to the right of the centre goes up and right.
  double x, y;
  homography_apply(h, 170, 120, &x, &y);
  CHECK(x == Approx(160 + 12.5 * std::cos(kPi / 6)));
  CHECK(y == Approx(120 - 12.5 * std::sin(kPi / 6)));
  CHECK(homography_local_similarity(similarity_about(-75, 0.8, 3, 4), 50, 60).angle == Approx(-75 * kPi / 180));
  // A perspective homography: the Jacobian by central differences, then the same formulas.
  const double from[4][2] = {{0, 0}, {319, 0}, {319, 239}, {0, 239}};
  const double to[4][2] = {{12, -20}, {300, 9}, {331, 250}, {-7, 228}};
  const Homography p = homography_from_points(from, to);
  const double px = 101.3, py = 77.9, e = 1e-4;
  double x1, y1, x2, y2, x3, y3, x4, y4;
  homography_apply(p, px + e, py, &x1, &y1), homography_apply(p, px - e, py, &x2, &y2);
  homography_apply(p, px, py + e, &x3, &y3), homography_apply(p, px, py - e, &x4, &y4);
  const double j00 = (x1 - x2) / (2 * e), j10 = (y1 - y2) / (2 * e), j01 = (x3 - x4) / (2 * e), j11 = (y3 - y4) / (2 * e);
  const LocalSimilarity s = homography_local_similarity(p, px, py);
  CHECK(s.angle == Approx(std::atan2(j01 - j10, j00 + j11)).margin(1e-7));
  CHECK(s.scale == Approx(std::sqrt(std::fabs(j00 * j11 - j01 * j10))).epsilon(1e-7));
}

TEST_CASE("random_homography: each part stays within its range, and pair i depends only on (seed, i)",
          "[lift_data]") {
  const int64_t W = 320, H = 240;
  const double cx = (W - 1) / 2.0, cy = (H - 1) / 2.0;
  HomographyRanges none;
  none.rotation_degrees = 0, none.scale_min = none.scale_max = 1, none.perspective = 0, none.translation = 0;
  SynthRandom r0(1, 0);
  const Homography identity = random_homography(none, W, H, r0);
  for (int k = 0; k < 9; ++k) CHECK(identity.m[k] == Approx(k % 4 == 0 ? 1.0 : 0.0).margin(1e-12));

  for (int64_t i = 0; i < 50; ++i) {
    HomographyRanges rot = none;
    rot.rotation_degrees = 30;
    SynthRandom r1(5, i);
    const Homography hr = random_homography(rot, W, H, r1);
    const LocalSimilarity s = homography_local_similarity(hr, 40, 200);
    CHECK(std::fabs(s.angle) <= 30 * kPi / 180 + 1e-12);
    CHECK(s.scale == Approx(1).margin(1e-9));
    double x, y;
    homography_apply(hr, cx, cy, &x, &y);  // about the centre
    CHECK(x == Approx(cx));
    CHECK(y == Approx(cy));

    HomographyRanges scl = none;
    scl.scale_min = 0.8, scl.scale_max = 1.25;
    SynthRandom r2(5, i);
    const LocalSimilarity t = homography_local_similarity(random_homography(scl, W, H, r2), 10, 10);
    CHECK(t.scale >= 0.8 - 1e-12);
    CHECK(t.scale <= 1.25 + 1e-12);
    CHECK(t.angle == Approx(0).margin(1e-12));

    HomographyRanges per = none;
    per.perspective = 0.1;
    SynthRandom r3(5, i);
    const Homography hp = random_homography(per, W, H, r3);
    const double corners[4][2] = {{0, 0}, {319, 0}, {319, 239}, {0, 239}};
    for (const auto& c : corners) {
      homography_apply(hp, c[0], c[1], &x, &y);
      CHECK(std::fabs(x - c[0]) <= 0.1 * W + 1e-9);
      CHECK(std::fabs(y - c[1]) <= 0.1 * H + 1e-9);
    }

    HomographyRanges tr = none;
    tr.translation = 0.1;
    SynthRandom r4(5, i);
    const Homography ht = random_homography(tr, W, H, r4);
    homography_apply(ht, 3, 7, &x, &y);
    CHECK(std::fabs(x - 3) <= 0.1 * W + 1e-9);
    CHECK(std::fabs(y - 7) <= 0.1 * H + 1e-9);
    CHECK(ht.m[0] == Approx(1));
    CHECK(ht.m[1] == Approx(0).margin(1e-12));
    CHECK(ht.m[6] == 0);
  }
  // Determinism: a stream keyed by (seed, index) gives the same H; another index or seed another.
  const HomographyRanges def;
  SynthRandom a(9, 3), b(9, 3), c(9, 4), d(10, 3);
  const Homography ha = random_homography(def, W, H, a);
  CHECK(same(ha, random_homography(def, W, H, b)));
  CHECK(!same(ha, random_homography(def, W, H, c)));
  CHECK(!same(ha, random_homography(def, W, H, d)));

  HomographyRanges bad;
  bad.scale_min = 1.5, bad.scale_max = 1.2;
  test::require_error([&] { bad.check(); }, {"scale", "1.5..1.2"});
  bad = HomographyRanges{};
  bad.perspective = 0.3;
  test::require_error([&] { bad.check(); }, {"perspective", "0.3"});
}

TEST_CASE("write_idx: uint8, int32, float32 and float64 read back exactly, gzip'd by the name", "[lift_data]") {
  test::TempDir dir("write_idx");
  std::mt19937 g(21);
  Tensor u8 = Tensor::empty({3, 4, 5, 7}, DType::u8);
  for (int64_t i = 0; i < u8.numel(); ++i) u8.data<uint8_t>()[i] = static_cast<uint8_t>(g());
  Tensor i32 = Tensor::empty({11}, DType::i32);
  for (int64_t i = 0; i < i32.numel(); ++i) i32.data<int32_t>()[i] = static_cast<int32_t>(g());
  Tensor f32 = Tensor::empty({6, 2}, DType::f32);
  for (int64_t i = 0; i < f32.numel(); ++i) f32.data<float>()[i] = std::ldexp(static_cast<float>(g() % 100000) - 5e4f, -7);
  Tensor f64 = Tensor::empty({2, 3}, DType::f64);
  for (int64_t i = 0; i < f64.numel(); ++i) f64.data<double>()[i] = std::ldexp(static_cast<double>(g()) - 2e9, -31);

  auto bytes_equal = [](const Tensor& a, const Tensor& b) {
    return a.dtype() == b.dtype() && a.shape() == b.shape() &&
           std::memcmp(a.raw_data(), b.raw_data(), static_cast<size_t>(a.numel()) * dtype_size(a.dtype())) == 0;
  };
  for (const char* name : {"u8.idx.gz", "u8.idx"}) {
    write_idx(dir.file(name), u8);
    CHECK(bytes_equal(read_idx(dir.file(name)), u8));
  }
  write_idx(dir.file("i32.idx.gz"), i32);
  write_idx(dir.file("f32.idx"), f32);
  write_idx(dir.file("f64.idx.gz"), f64);
  CHECK(bytes_equal(read_idx(dir.file("i32.idx.gz")), i32));
  CHECK(bytes_equal(read_idx(dir.file("f32.idx")), f32));
  CHECK(bytes_equal(read_idx(dir.file("f64.idx.gz")), f64));

  // The plain file is the IDX layout by hand: magic, big-endian sizes, data; the .gz one a gzip stream.
  std::ifstream plain(dir.file("f32.idx"), std::ios::binary), gz(dir.file("u8.idx.gz"), std::ios::binary);
  unsigned char head[16], magic[2];
  plain.read(reinterpret_cast<char*>(head), 16);
  gz.read(reinterpret_cast<char*>(magic), 2);
  const unsigned char want[12] = {0, 0, 0x0D, 2, 0, 0, 0, 6, 0, 0, 0, 2};
  CHECK(std::memcmp(head, want, 12) == 0);
  uint32_t first;
  std::memcpy(&first, f32.raw_data(), 4);
  CHECK(head[12] == (first >> 24));
  CHECK(head[15] == (first & 0xff));
  CHECK(magic[0] == 0x1f);
  CHECK(magic[1] == 0x8b);
  CHECK(!std::filesystem::exists(dir.file("u8.idx.gz.tmp")));

  test::require_error([&] { write_idx(dir.file("i64.idx"), Tensor::empty({2}, DType::i64)); },
                      {"i64.idx", "uint8, int32, float32 or float64"});
  test::require_error([&] { write_idx(dir.path.string() + "/missing/x.idx", u8); }, {"missing/x.idx"});
}
