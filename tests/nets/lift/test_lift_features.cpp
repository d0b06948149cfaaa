// LIFT on whole images: keypoints from constructed score maps (suppression, plateaus, border,
// count, threshold, sub-pixel refinement), whole-image crops equal to the training crops of a patch
// cut at the same point, and given keypoints' angles read in OpenCV's sense (a 90-degree turn of
// the image with the matching angle gives the same descriptor).
#include <catch2/catch.hpp>

#include <cmath>

#include "kernels/ops.h"
#include "tests/helpers.h"
#include "train/tasks/lift_features.h"

using namespace oc;

namespace {

LiftSettings settings() {
  LiftSettings s;
  s.nms_radius = 2;
  s.refine_radius = 1;
  s.beta = 50;
  s.crop = 8;
  s.crop_extent = 8;
  return s;
}

// A small LIFT model: a 3x3 conv detector on [1, 16, 16]; orientation and descriptor on 8x8 crops.
Network tiny_lift(uint64_t seed) {
  Network model(ConfigObject(json::parse(R"({"input": [1, 16, 16], "layers": [
      {"type": "conv2d", "out_channels": 1, "kernel": 3, "padding": 1}]})"), "t.json", "model"), seed);
  Generator gen(seed + 1);
  json head = json::parse(R"({"layers": [{"type": "conv2d", "out_channels": 4, "kernel": 3},
                                         {"type": "flatten"}, {"type": "linear", "out_features": 2}]})");
  model.attach("orientation", std::make_shared<Network>(ConfigObject(head, "t.json", "o"), Shape{1, 8, 8}, gen));
  head["layers"][2]["out_features"] = 6;
  model.attach("descriptor", std::make_shared<Network>(ConfigObject(head, "t.json", "d"), Shape{1, 8, 8}, gen));
  return model;
}

Tensor random_image(int64_t H, int64_t W, uint64_t seed) {
  return to(mul(test::rand({1, H, W}, seed, 0, 1), 255.0), DType::u8);
}

}  // namespace

TEST_CASE("lift features: keypoints of a constructed score map", "[lift]") {
  const int64_t H = 20, W = 24;
  std::vector<float> m(static_cast<size_t>(H * W), 0.0f);
  auto set = [&](int64_t y, int64_t x, float v) { m[static_cast<size_t>(y * W + x)] = v; };
  set(5, 6, 3.0f);                   // a peak
  set(5, 7, 2.0f);                   // its lower neighbour: suppressed, pulls the refinement right
  set(12, 10, 2.5f), set(12, 11, 2.5f);  // a plateau: one keypoint, refined to its middle
  set(15, 18, 1.0f);                 // weak
  set(1, 1, 9.0f);                   // in the border
  LiftSettings s = settings();
  std::vector<FeaturePoint> k = score_map_keypoints(m, H, W, s, 3);
  REQUIRE(k.size() == 3);
  CHECK(k[0].response == 3.0f);
  CHECK(k[0].y == Approx(5.0));
  // Soft-argmax with beta 50 over {3 at dx 0, 2 at dx +1, 0 elsewhere}: x = 6 + e^-50 / (1 + ...).
  CHECK(k[0].x == Approx(6 + std::exp(-50.0)).margin(1e-9));
  CHECK(k[1].response == 2.5f);
  CHECK(k[1].x == Approx(10.5).margin(1e-9));
  CHECK(k[1].y == Approx(12.0).margin(1e-9));
  CHECK(k[2].x == Approx(18).margin(1e-9));
  s.max_keypoints = 2;
  CHECK(score_map_keypoints(m, H, W, s, 3).size() == 2);
  s.max_keypoints = 10, s.min_score = 1.5;
  CHECK(score_map_keypoints(m, H, W, s, 3).size() == 2);
  CHECK(score_map_keypoints(m, H, W, s, 0).size() == 3);  // min_score still 1.5; the border peak counts now
}

TEST_CASE("lift features: a whole-image crop equals the training crop of a patch at the point", "[lift]") {
  Network model = tiny_lift(3);
  LiftSettings s = settings();
  Tensor image = random_image(40, 50, 4);
  // A 16 x 16 patch of rows 10..25, columns 20..35: its centre is image point (27.5, 17.5).
  Tensor patch = div(to(unsqueeze(contiguous(slice(slice(image, 1, 10, 26), 2, 20, 36)), 0), DType::f32), 255.0);
  LiftNets n = lift_nets(model);
  Tensor want = describe(*n.descriptor, crop_patches(patch, crop_theta(zeros({1, 2}), Tensor(), 0.5), 8));
  std::vector<FeaturePoint> given(1);
  given[0].x = 27.5, given[0].y = 17.5, given[0].angle = -1;
  LiftExtractOptions opt;
  opt.given = &given;
  opt.learned_orientation = false;
  ImageFeatures f = lift_features(model, s, image, opt);
  REQUIRE(f.dim == 6);
  REQUIRE_CLOSE(from_vector<float>(f.descriptors, {1, 6}), want, 1e-5, 1e-4);
}

TEST_CASE("lift features: given angles turn in OpenCV's sense", "[lift]") {
  Network model = tiny_lift(5);
  LiftSettings s = settings();
  const int64_t N = 30;
  Tensor a = random_image(N, N, 6);
  // b is a turned 90 degrees counter-clockwise on screen: b[y][x] = a[x][N - 1 - y], so a's point
  // (x, y) is b's (y, N - 1 - x), and a feature at angle 0 in a has OpenCV angle 270 in b.
  std::vector<uint8_t> av = to_vector<uint8_t>(a), bv(av.size());
  for (int64_t y = 0; y < N; ++y)
    for (int64_t x = 0; x < N; ++x) bv[static_cast<size_t>(y * N + x)] = av[static_cast<size_t>(x * N + (N - 1 - y))];
  Tensor b = from_vector<uint8_t>(bv, {1, N, N});
  std::vector<FeaturePoint> pa(1), pb(1);
  pa[0].x = 12, pa[0].y = 17, pa[0].angle = 0;
  pb[0].x = 17, pb[0].y = N - 1 - 12, pb[0].angle = 270;
  LiftExtractOptions opt;
  opt.learned_orientation = false;
  opt.given = &pa;
  ImageFeatures fa = lift_features(model, s, a, opt);
  opt.given = &pb;
  ImageFeatures fb = lift_features(model, s, b, opt);
  REQUIRE_CLOSE(from_vector<float>(fb.descriptors, {1, 6}), from_vector<float>(fa.descriptors, {1, 6}), 1e-5, 1e-4);
  CHECK(fb.points[0].angle == Approx(270));
  pb[0].angle = 90;  // the other sense differs
  ImageFeatures wrong = lift_features(model, s, b, opt);
  CHECK_FALSE(test::all_close(from_vector<float>(wrong.descriptors, {1, 6}), from_vector<float>(fa.descriptors, {1, 6}),
                              1e-3, 1e-3).ok);
}

TEST_CASE("lift features: detection on a whole image is bounded and described", "[lift]") {
  Network model = tiny_lift(7);
  LiftSettings s = settings();
  s.max_keypoints = 15;
  LiftExtractOptions opt;
  ImageFeatures f = lift_features(model, s, random_image(36, 44, 8), opt);
  REQUIRE(f.points.size() == 15);
  REQUIRE(f.descriptors.size() == 15 * 6);
  for (const FeaturePoint& p : f.points) {
    CHECK(p.x >= 6);  // border = ceil(8 / sqrt 2) + 1 = 7, minus the refinement's reach of 1
    CHECK(p.x <= 44 - 7);
    CHECK(p.angle >= 0);
    CHECK(p.angle < 360);
  }
  CHECK_THROWS_WITH(lift_features(model, s, to(random_image(36, 44, 8), DType::f32), opt), Catch::Contains("uint8"));
}
