// Distorted Fashion-MNIST: the homography warp on hand-computed cases, each variant's shapes,
// labels, determinism and geometry, the fixed test split, and the config keys.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "core/thread_pool.h"
#include "tests/helpers.h"
#include "train/data/distorted_mnist.h"
#include "train/experiment.h"
#include "train/trainer.h"

using namespace oc;

namespace {

// A [1, H, W] image with distinct non-zero pixels.
std::vector<uint8_t> ramp(int64_t H, int64_t W) {
  std::vector<uint8_t> v(static_cast<size_t>(H * W));
  for (size_t k = 0; k < v.size(); ++k) v[k] = static_cast<uint8_t>(1 + (k * 37) % 250);
  return v;
}

std::vector<uint8_t> warp(const std::vector<uint8_t>& src, int64_t H, int64_t W, int64_t Ho, int64_t Wo,
                          const Homography& h) {
  std::vector<uint8_t> out(static_cast<size_t>(Ho * Wo), 77);  // 77: catches pixels never written
  warp_homography(src.data(), 1, H, W, out.data(), Ho, Wo, h);
  return out;
}

// (x, y) -> h (x, y, 1), divided by the third coordinate.
std::pair<double, double> apply(const Homography& h, double x, double y) {
  const double* m = h.m;
  const double w = m[6] * x + m[7] * y + m[8];
  return {(m[0] * x + m[1] * y + m[2]) / w, (m[3] * x + m[4] * y + m[5]) / w};
}

// The inverse by the adjugate (for checking where source points land).
Homography inverse(const Homography& h) {
  const double* a = h.m;
  Homography r;
  double* b = r.m;
  b[0] = a[4] * a[8] - a[5] * a[7], b[1] = a[2] * a[7] - a[1] * a[8], b[2] = a[1] * a[5] - a[2] * a[4];
  b[3] = a[5] * a[6] - a[3] * a[8], b[4] = a[0] * a[8] - a[2] * a[6], b[5] = a[2] * a[3] - a[0] * a[5];
  b[6] = a[3] * a[7] - a[4] * a[6], b[7] = a[1] * a[6] - a[0] * a[7], b[8] = a[0] * a[4] - a[1] * a[3];
  const double det = a[0] * b[0] + a[1] * b[3] + a[2] * b[6];
  for (double& x : r.m) x /= det;
  return r;
}

// The warp written out plainly over the whole canvas: the reference for warp_homography, which
// visits only the box the source can reach.
std::vector<uint8_t> naive_warp(const std::vector<uint8_t>& src, int64_t H, int64_t W, int64_t Ho, int64_t Wo,
                                const Homography& h) {
  std::vector<uint8_t> out(static_cast<size_t>(Ho * Wo));
  auto at = [&](int64_t y, int64_t x) -> double { return x >= 0 && x < W && y >= 0 && y < H ? src[y * W + x] : 0; };
  for (int64_t y = 0; y < Ho; ++y)
    for (int64_t x = 0; x < Wo; ++x) {
      auto [xs, ys] = apply(h, static_cast<double>(x), static_cast<double>(y));
      const double fx = std::floor(xs), fy = std::floor(ys), ax = xs - fx, ay = ys - fy;
      const int64_t x0 = static_cast<int64_t>(fx), y0 = static_cast<int64_t>(fy);
      const double v = (1 - ax) * (1 - ay) * at(y0, x0) + ax * (1 - ay) * at(y0, x0 + 1) +
                       (1 - ax) * ay * at(y0 + 1, x0) + ax * ay * at(y0 + 1, x0 + 1);
      out[y * Wo + x] = static_cast<uint8_t>(std::clamp(std::floor(v + 0.5), 0.0, 255.0));
    }
  return out;
}

bool have_fashion_mnist() { return std::filesystem::exists(default_fashion_mnist_dir()); }

// The first n test images (the tests stay fast).
ImageDataset fashion(int64_t n) {
  if (!have_fashion_mnist()) FAIL("Fashion-MNIST is missing: tools/setup.sh installs dataset-fashion-mnist");
  return load_fashion_mnist(default_fashion_mnist_dir(), "test", n);
}

std::vector<uint8_t> bytes(const Tensor& t) { return to_vector<uint8_t>(t); }

double mass(const uint8_t* p, int64_t n) {
  double s = 0;
  for (int64_t k = 0; k < n; ++k) s += p[k];
  return s;
}

json config_with_data(const json& data) {
  json c = json::parse(R"({
    "model": {"input": [1, 28, 28], "layers": [{"type": "flatten"}, {"type": "linear", "out_features": 10}]},
    "train": {"epochs": 1}})");
  c["data"] = data;
  return c;
}

}  // namespace

TEST_CASE("distorted: the identity homography reproduces the image exactly", "[distorted]") {
  const auto src = ramp(5, 7);
  CHECK(warp(src, 5, 7, 5, 7, Homography{}) == src);
  // Rotation by 0 degrees and scale 1 about the centre, built the way the variants build theirs.
  Homography h = homography_mul(homography_translation(3, 2), homography_rotation(0));
  h = homography_mul(h, homography_mul(homography_scaling(1), homography_translation(-3, -2)));
  CHECK(warp(src, 5, 7, 5, 7, h) == src);
}

TEST_CASE("distorted: translations shift pixels, with zeros where the source is missing", "[distorted]") {
  const int64_t H = 5, W = 7, Ho = 8, Wo = 9;
  const auto src = ramp(H, W);
  // Output (x, y) reads source (x - 2, y - 1): the image moves right 2 and down 1 on a larger canvas.
  const auto out = warp(src, H, W, Ho, Wo, homography_translation(-2, -1));
  for (int64_t y = 0; y < Ho; ++y)
    for (int64_t x = 0; x < Wo; ++x) {
      const int64_t xs = x - 2, ys = y - 1;
      const uint8_t want = (xs >= 0 && xs < W && ys >= 0 && ys < H) ? src[ys * W + xs] : 0;
      INFO("x " << x << " y " << y);
      REQUIRE(static_cast<int>(out[y * Wo + x]) == static_cast<int>(want));
    }
  // Half a pixel: the mean of two neighbours, rounded half up; the last column blends with the zero outside.
  const auto half = warp(src, H, W, H, W, homography_translation(0.5, 0));
  for (int64_t y = 0; y < H; ++y)
    for (int64_t x = 0; x < W; ++x) {
      const int right = x + 1 < W ? src[y * W + x + 1] : 0;
      const int want = static_cast<int>(std::floor((src[y * W + x] + right) / 2.0 + 0.5));
      REQUIRE(static_cast<int>(half[y * W + x]) == want);
    }
}

TEST_CASE("distorted: a 90-degree rotation turns the image counter-clockwise as displayed", "[distorted]") {
  const auto src = ramp(3, 3);
  Homography to_source = homography_mul(homography_translation(1, 1), homography_rotation(-90));
  to_source = homography_mul(to_source, homography_translation(-1, -1));
  const auto out = warp(src, 3, 3, 3, 3, to_source);
  // Counter-clockwise: the right-middle pixel goes to the top middle, the top-left to the bottom-left.
  CHECK(out[0 * 3 + 1] == src[1 * 3 + 2]);
  CHECK(out[2 * 3 + 0] == src[0 * 3 + 0]);
  CHECK(out[1 * 3 + 1] == src[1 * 3 + 1]);
  CHECK(out[0 * 3 + 0] == src[0 * 3 + 2]);
}

TEST_CASE("distorted: the warp matches a plain whole-canvas reference for every variant's maps", "[distorted]") {
  // An all-bright source, so any pixel the warp wrongly skips near the item's edge shows.
  const std::vector<uint8_t> src(28 * 28, 255), textured = ramp(28, 28);
  for (Distortion kind : {Distortion::rotated, Distortion::rts, Distortion::projective, Distortion::cluttered})
    for (int64_t i = 0; i < 40; ++i) {
      const DistortionDraw d = draw_distortion(kind, 28, 40, 8, i);
      INFO(distortion_name(kind) << " sample " << i);
      for (const auto* img : {&src, &textured}) {
        const auto got = warp(*img, 28, 28, d.canvas, d.canvas, d.to_source);
        const auto want = naive_warp(*img, 28, 28, d.canvas, d.canvas, d.to_source);
        int64_t off_by_more_than_one = 0;  // 1/w vs a division may round a .5 the other way
        for (size_t k = 0; k < got.size(); ++k) off_by_more_than_one += std::abs(got[k] - want[k]) > 1;
        REQUIRE(off_by_more_than_one == 0);
      }
    }
}

TEST_CASE("distorted: homography_from_points maps the four points and rejects degenerate ones", "[distorted]") {
  const double from[4][2] = {{-0.5, -0.5}, {27.5, -0.5}, {27.5, 27.5}, {-0.5, 27.5}};
  const double to[4][2] = {{2, 1}, {25, 4}, {22, 26.5}, {-1, 24}};
  Homography h = homography_from_points(from, to);
  for (int k = 0; k < 4; ++k) {
    auto [u, v] = apply(h, from[k][0], from[k][1]);
    CHECK(u == Approx(to[k][0]).margin(1e-9));
    CHECK(v == Approx(to[k][1]).margin(1e-9));
  }
  const double line[4][2] = {{0, 0}, {1, 1}, {2, 2}, {0, 5}};
  test::require_error([&] { homography_from_points(line, to); }, {"homography_from_points", "degenerate"});
}

TEST_CASE("distorted: names round-trip, and an unknown name is an error naming it and the valid ones", "[distorted]") {
  for (const std::string& n : distortion_names()) CHECK(distortion_name(distortion_from_string(n)) == n);
  test::require_error([] { distortion_from_string("rotatd"); },
                      {"\"rotatd\"", "did you mean \"rotated\"", "none, rotated, rts, projective, cluttered"});
  test::require_error([] { distortion_from_string("wobbly"); }, {"\"wobbly\"", "known: none, rotated"});
}

TEST_CASE("distorted: every variant has its canvas, keeps the labels and follows the seed", "[distorted]") {
  const ImageDataset src = fashion(200);
  const std::vector<std::pair<Distortion, int64_t>> variants = {
      {Distortion::none, 28}, {Distortion::rotated, 28}, {Distortion::rts, 42},
      {Distortion::projective, 28}, {Distortion::cluttered, 60}};
  for (auto [kind, side] : variants) {
    INFO(distortion_name(kind));
    CHECK(distortion_canvas(kind, 28) == side);
    ImageDataset a = distort_dataset(src, kind, 5);
    CHECK(a.images.shape() == Shape{200, 1, side, side});
    CHECK(a.images.dtype() == DType::u8);
    CHECK(to_vector<int64_t>(a.labels) == to_vector<int64_t>(src.labels));
    CHECK(a.num_classes == 10);
    CHECK(bytes(distort_dataset(src, kind, 5).images) == bytes(a.images));
    if (kind == Distortion::none) {
      CHECK(bytes(a.images) == bytes(src.images));
      continue;
    }
    CHECK(bytes(distort_dataset(src, kind, 6).images) != bytes(a.images));
    // The same bytes on one thread as on several: parameters depend only on (seed, index).
    set_num_threads(1);
    std::vector<uint8_t> one = bytes(distort_dataset(src, kind, 5).images);
    set_num_threads(0);
    CHECK(one == bytes(a.images));
  }
}

TEST_CASE("distorted: a sample's parameters depend only on (seed, index) and stay in range", "[distorted]") {
  // Drawing sample 7 of a set of 200 or of 10000 gives the same rotation.
  CHECK(draw_distortion(Distortion::rts, 28, 200, 9, 7).degrees == draw_distortion(Distortion::rts, 28, 10000, 9, 7).degrees);
  double lo = 1e9, hi = -1e9;
  for (int64_t i = 0; i < 500; ++i) {
    DistortionDraw r = draw_distortion(Distortion::rotated, 28, 500, 3, i);
    lo = std::min(lo, r.degrees), hi = std::max(hi, r.degrees);
    auto [cx, cy] = apply(r.to_source, 13.5, 13.5);  // the centre stays put
    REQUIRE(cx == Approx(13.5).margin(1e-9));
    REQUIRE(cy == Approx(13.5).margin(1e-9));
    DistortionDraw t = draw_distortion(Distortion::rts, 28, 500, 3, i);
    REQUIRE(std::abs(t.degrees) <= 45);
    REQUIRE(t.scale >= 0.7);
    REQUIRE(t.scale <= 1.2);
    auto [sx, sy] = apply(t.to_source, t.centre_x, t.centre_y);  // the placed centre reads the source centre
    REQUIRE(sx == Approx(13.5).margin(1e-9));
    REQUIRE(sy == Approx(13.5).margin(1e-9));
  }
  CHECK(lo >= -90);
  CHECK(lo < -80);
  CHECK(hi <= 90);
  CHECK(hi > 80);
}

TEST_CASE("distorted: projective corners move by clipped Gaussian noise", "[distorted]") {
  const double c = 13.5, e = 27.5, clip = 2 * 0.1 * 28;
  const double corners[4][2] = {{-0.5, -0.5}, {e, -0.5}, {e, e}, {-0.5, e}};
  double biggest = 0, sum_sq = 0;
  int64_t count = 0;
  for (int64_t i = 0; i < 300; ++i) {
    DistortionDraw d = draw_distortion(Distortion::projective, 28, 300, 11, i);
    REQUIRE(d.scale >= 0.75);
    REQUIRE(d.scale <= 1.0);
    const Homography forward = inverse(d.to_source);  // source -> output
    for (const auto& p : corners) {
      auto [u, v] = apply(forward, p[0], p[1]);
      const double du = u - (c + d.scale * (p[0] - c)), dv = v - (c + d.scale * (p[1] - c));
      REQUIRE(std::abs(du) <= clip + 1e-6);
      REQUIRE(std::abs(dv) <= clip + 1e-6);
      biggest = std::max({biggest, std::abs(du), std::abs(dv)});
      sum_sq += du * du + dv * dv;
      count += 2;
    }
  }
  CHECK(biggest > 0.9 * clip);  // the clip is reached now and then
  // std 2.8 x 0.96 after clipping at 2 std: E[min(z^2, 4)] = 0.921 for a standard normal z.
  CHECK(std::sqrt(sum_sq / count) == Approx(2.69).margin(0.2));
}

TEST_CASE("distorted: rts keeps most of each item's mass on the 42x42 canvas", "[distorted]") {
  const ImageDataset src = fashion(200);
  const ImageDataset out = distort_dataset(src, Distortion::rts, 2);
  const uint8_t* s = src.images.data<uint8_t>();
  const uint8_t* o = out.images.data<uint8_t>();
  double worst = 1e9, total = 0;
  for (int64_t i = 0; i < 200; ++i) {
    const DistortionDraw d = draw_distortion(Distortion::rts, 28, 200, 2, i);
    // Scaling by s multiplies the area, so the mass, by s^2.
    const double ratio = mass(o + i * 42 * 42, 42 * 42) / (d.scale * d.scale * mass(s + i * 28 * 28, 28 * 28));
    worst = std::min(worst, ratio);
    total += ratio;
  }
  INFO("worst " << worst << " mean " << total / 200);
  CHECK(worst > 0.85);
  CHECK(total / 200 > 0.97);
  CHECK(total / 200 < 1.03);
}

TEST_CASE("distorted: cluttered copies the item exactly and adds clutter outside it", "[distorted]") {
  const int64_t n = 200, S = 60;
  const ImageDataset src = fashion(n);
  const ImageDataset out = distort_dataset(src, Distortion::cluttered, 4);
  const uint8_t* s = src.images.data<uint8_t>();
  const uint8_t* o = out.images.data<uint8_t>();
  int64_t with_clutter = 0, not_copied = 0, not_max = 0, self_fragments = 0;
  for (int64_t i = 0; i < n; ++i) {
    const DistortionDraw d = draw_distortion(Distortion::cluttered, 28, n, 4, i);
    REQUIRE(d.fragments.size() == 6);
    REQUIRE(d.fragment_side == 6);
    const int64_t ox = static_cast<int64_t>(d.centre_x - 13.5), oy = static_cast<int64_t>(d.centre_y - 13.5);
    REQUIRE(ox + 13.5 == d.centre_x);  // whole-pixel offsets: the item is copied, not resampled
    for (const ClutterFragment& f : d.fragments) self_fragments += f.image == i;
    auto in_fragment = [&](int64_t y, int64_t x) {
      for (const ClutterFragment& f : d.fragments)
        if (y >= f.dst_y && y < f.dst_y + 6 && x >= f.dst_x && x < f.dst_x + 6) return true;
      return false;
    };
    bool clutter = false;
    for (int64_t y = 0; y < S; ++y)
      for (int64_t x = 0; x < S; ++x) {
        const uint8_t v = o[i * S * S + y * S + x];
        const bool in_item = y >= oy && y < oy + 28 && x >= ox && x < ox + 28;
        const uint8_t item = in_item ? s[i * 784 + (y - oy) * 28 + (x - ox)] : 0;
        not_copied += !in_fragment(y, x) && v != item;  // away from the patches: the item, zero elsewhere
        not_max += v < item;                             // under a patch: at least the item
        if (!in_item && v > 0) clutter = true;
      }
    with_clutter += clutter;
  }
  CHECK(self_fragments == 0);
  CHECK(not_copied == 0);
  CHECK(not_max == 0);
  CHECK(with_clutter > n * 8 / 10);
}

TEST_CASE("distorted: the test split is fixed, the train split follows distortion_seed", "[distorted]") {
  if (!have_fashion_mnist()) FAIL("Fashion-MNIST is missing: tools/setup.sh installs dataset-fashion-mnist");
  DataSettings d;
  d.distortion = "rotated";
  d.train_limit = d.test_limit = 100;
  d.distortion_seed = 1;
  const ImageDataset test1 = load_split(d, "test"), train1 = load_split(d, "train");
  d.distortion_seed = 2;
  const ImageDataset test2 = load_split(d, "test"), train2 = load_split(d, "train");
  CHECK(bytes(test1.images) == bytes(test2.images));
  CHECK(bytes(train1.images) != bytes(train2.images));
  CHECK(bytes(test1.images) ==
        bytes(distort_dataset(load_fashion_mnist(default_fashion_mnist_dir(), "test", 100), Distortion::rotated,
                              kDistortionTestSeed).images));
  CHECK(bytes(train2.images) ==
        bytes(distort_dataset(load_fashion_mnist(default_fashion_mnist_dir(), "train", 100), Distortion::rotated, 2)
                  .images));
  d.dataset = "image_folder";
  test::require_error([&] { load_split(d, "train"); }, {"data.distortion", "fashion_mnist"});
}

TEST_CASE("distorted: config keys are read strictly and resolved with their defaults", "[distorted]") {
  Experiment plain = experiment_from_json(config_with_data(json::object()), "c.json");
  CHECK(plain.data.distortion == "none");
  CHECK(plain.data.distortion_seed == 1);
  CHECK(plain.resolved["data"]["distortion"] == "none");
  CHECK(plain.resolved["data"]["distortion_seed"] == 1);
  Experiment rts = experiment_from_json(config_with_data({{"distortion", "rts"}, {"distortion_seed", 7}}), "c.json");
  CHECK(rts.data.distortion == "rts");
  CHECK(rts.data.distortion_seed == 7);
  test::require_error([] { experiment_from_json(config_with_data({{"distortoin", "rts"}}), "c.json"); },
                      {"c.json", "data.distortoin", "did you mean \"distortion\""});
  test::require_error([] { experiment_from_json(config_with_data({{"distortion_sed", 3}}), "c.json"); },
                      {"data.distortion_sed", "did you mean \"distortion_seed\""});
  test::require_error([] { experiment_from_json(config_with_data({{"distortion", "spun"}}), "c.json"); },
                      {"c.json", "data.distortion", "\"spun\"", "known: none, rotated, rts, projective, cluttered"});
  test::require_error([] { experiment_from_json(config_with_data({{"distortion_seed", -1}}), "c.json"); },
                      {"data.distortion_seed", "must be >= 0"});
  test::require_error(
      [] {
        experiment_from_json(config_with_data({{"dataset", "image_folder"}, {"train_dir", "a"}, {"test_dir", "b"},
                                               {"distortion", "rotated"}}),
                             "c.json");
      },
      {"data.distortion", "needs dataset \"fashion_mnist\""});
}

TEST_CASE("distorted: training reads the distorted canvas, and a model for 28x28 is told the size", "[distorted][slow]") {
  if (!have_fashion_mnist()) FAIL("Fashion-MNIST is missing: tools/setup.sh installs dataset-fashion-mnist");
  json c = config_with_data({{"distortion", "rts"}, {"train_limit", 64}, {"test_limit", 64}, {"batch_size", 32},
                             {"workers", 1}});
  c["train"]["log_every"] = 0;
  test::TempDir dir("ocellus_distorted");
  RunOptions opt;
  opt.out_dir = dir.str();
  Experiment wrong = experiment_from_json(c, "c.json");
  test::require_error([&] { train_experiment(wrong, opt); }, {"model.input is [1, 28, 28]", "[1, 42, 42]"});
  c["model"]["input"] = {1, 42, 42};
  Experiment e = experiment_from_json(c, "c.json");
  EvalResult r = train_experiment(e, opt);
  CHECK(r.count == 64);
}
