// Homography estimation: the normalised DLT on exact and noisy points, RANSAC with 40 % outliers,
// the failures (too few or degenerate points), and the corner error on hand-computed cases.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>

#include "core/error.h"
#include "tests/helpers.h"
#include "train/metrics/homography_fit.h"

using namespace oc;

namespace {

constexpr int64_t kW = 640, kH = 480;

// A perspective homography of a kW x kH image: its corners moved by up to `jitter` px each way.
Homography random_perspective(std::mt19937_64& rng, double jitter) {
  std::uniform_real_distribution<double> u(-jitter, jitter);
  const double from[4][2] = {{0, 0}, {kW - 1, 0}, {kW - 1, kH - 1}, {0, kH - 1}};
  double to[4][2];
  for (int k = 0; k < 4; ++k) to[k][0] = from[k][0] + u(rng), to[k][1] = from[k][1] + u(rng);
  return homography_from_points(from, to);
}

Point2 apply(const Homography& h, const Point2& p) {
  Point2 q;
  homography_apply(h, p[0], p[1], &q[0], &q[1]);
  return q;
}

std::vector<Point2> random_points(std::mt19937_64& rng, int n) {
  std::uniform_real_distribution<double> x(0, kW - 1), y(0, kH - 1);
  std::vector<Point2> p;
  for (int k = 0; k < n; ++k) p.push_back({x(rng), y(rng)});
  return p;
}

}  // namespace

TEST_CASE("homography_fit: four exact pairs give the homography back", "[homography_fit]") {
  std::mt19937_64 rng(21);
  for (int trial = 0; trial < 10; ++trial) {
    const Homography truth = random_perspective(rng, 80);
    const std::vector<Point2> src = random_points(rng, 4);
    std::vector<Point2> dst;
    for (const Point2& p : src) dst.push_back(apply(truth, p));
    const Homography h = fit_homography(src, dst);
    CHECK(h.m[8] == 1.0);
    for (int k = 0; k < 9; ++k) CHECK(h.m[k] == Approx(truth.m[k] / truth.m[8]).margin(1e-7));
    CHECK(corner_error(h, truth, kW, kH) < 1e-6);
  }
}

TEST_CASE("homography_fit: 50 noisy pairs give a least-squares fit within the noise", "[homography_fit]") {
  std::mt19937_64 rng(22);
  std::normal_distribution<double> noise(0, 0.5);
  for (int trial = 0; trial < 5; ++trial) {
    const Homography truth = random_perspective(rng, 80);
    const std::vector<Point2> src = random_points(rng, 50);
    std::vector<Point2> dst;
    for (const Point2& p : src) {
      const Point2 q = apply(truth, p);
      dst.push_back({q[0] + noise(rng), q[1] + noise(rng)});
    }
    const Homography h = fit_homography(src, dst);
    // 0.5 px of noise on 50 points spread over the image: the corners land within a fraction of it.
    CHECK(corner_error(h, truth, kW, kH) < 0.5);
    // Least squares: the residuals are about the noise, not the 80 px of the perspective.
    double rms = 0;
    for (size_t k = 0; k < src.size(); ++k) {
      const Point2 q = apply(h, src[k]);
      rms += (q[0] - dst[k][0]) * (q[0] - dst[k][0]) + (q[1] - dst[k][1]) * (q[1] - dst[k][1]);
    }
    CHECK(std::sqrt(rms / double(src.size())) < 1.0);
  }
}

TEST_CASE("homography_fit: too few, mismatched or degenerate points are errors", "[homography_fit]") {
  const std::vector<Point2> three = {{0, 0}, {10, 0}, {0, 10}};
  test::require_error([&] { fit_homography(three, three); }, {"at least 4", "got 3"});
  const std::vector<Point2> four = {{0, 0}, {10, 0}, {0, 10}, {10, 10}};
  test::require_error([&] { fit_homography(four, three); }, {"4 source points but 3"});
  const std::vector<Point2> same = {{5, 5}, {5, 5}, {5, 5}, {5, 5}};
  test::require_error([&] { fit_homography(same, four); }, {"degenerate", "one place"});
  const std::vector<Point2> collinear = {{0, 0}, {10, 0}, {20, 0}, {3, 17}};  // the first three on y = 0
  test::require_error([&] { fit_homography(collinear, four); }, {"degenerate", "singular"});
  test::require_error([&] { fit_homography(collinear, collinear); }, {"degenerate", "not determined"});
  std::vector<Point2> nan_point = four;
  nan_point[2][1] = std::nan("");
  test::require_error([&] { fit_homography(nan_point, four); }, {"pair 2", "non-finite"});
}

TEST_CASE("homography_fit: RANSAC finds the homography among 40 % outliers", "[homography_fit]") {
  std::mt19937_64 rng(23);
  std::normal_distribution<double> noise(0, 0.5);
  std::uniform_real_distribution<double> x(0, kW - 1), y(0, kH - 1);
  for (int trial = 0; trial < 3; ++trial) {
    const Homography truth = random_perspective(rng, 80);
    const std::vector<Point2> src = random_points(rng, 100);
    std::vector<Point2> dst;
    std::vector<bool> outlier;
    for (size_t k = 0; k < src.size(); ++k) {
      const Point2 q = apply(truth, src[k]);
      outlier.push_back(k % 5 == 1 || k % 5 == 3);  // 40 of 100
      dst.push_back(outlier.back() ? Point2{x(rng), y(rng)} : Point2{q[0] + noise(rng), q[1] + noise(rng)});
    }
    const RansacResult r = ransac_homography(src, dst, 3, 2000, 0.999, 7);
    REQUIRE(r.ok);
    CHECK(corner_error(r.h, truth, kW, kH) < 0.5);
    CHECK(r.iterations < 2000);  // the adaptive count stops early at 60 % inliers (about 50 samples)
    int64_t marked = 0;
    for (size_t k = 0; k < src.size(); ++k) {
      marked += r.inlier[k];
      // Gaussian noise of 0.5 px: an inlier lies within 3 px; an outlier only by a rare accident.
      if (!outlier[k]) CHECK(r.inlier[k] == 1);
      if (outlier[k] && r.inlier[k]) {
        const Point2 q = apply(truth, src[k]);
        CHECK(std::hypot(q[0] - dst[k][0], q[1] - dst[k][1]) < 4);
      }
    }
    CHECK(marked == r.inliers);
    CHECK(r.inliers >= 60);
    CHECK(r.inliers <= 62);
    // The same seed draws the same samples.
    const RansacResult again = ransac_homography(src, dst, 3, 2000, 0.999, 7);
    CHECK(again.iterations == r.iterations);
    for (int k = 0; k < 9; ++k) CHECK(again.h.m[k] == r.h.m[k]);
  }
}

TEST_CASE("homography_fit: RANSAC fails cleanly on 3 pairs and on collinear points", "[homography_fit]") {
  const std::vector<Point2> three = {{0, 0}, {10, 0}, {0, 10}};
  const RansacResult r = ransac_homography(three, three);
  CHECK_FALSE(r.ok);
  CHECK(r.inliers == 0);
  CHECK(r.inlier == std::vector<uint8_t>{0, 0, 0});
  CHECK(r.h.m[0] == 1);  // the identity
  std::vector<Point2> line;
  for (int k = 0; k < 10; ++k) line.push_back({3.0 * k, 2.0 * k + 1});
  const RansacResult on_line = ransac_homography(line, line, 3, 50);
  CHECK_FALSE(on_line.ok);
  CHECK(on_line.iterations == 50);
  test::require_error([&] { ransac_homography(three, three, 0); }, {"threshold_px"});
}

TEST_CASE("homography_fit: corner error on hand-computed cases", "[homography_fit]") {
  std::mt19937_64 rng(24);
  const Homography h = random_perspective(rng, 60);
  CHECK(corner_error(h, h, kW, kH) == 0);
  Homography negative = h;  // the same homography, scaled by -2
  for (double& v : negative.m) v *= -2;
  CHECK(corner_error(negative, h, kW, kH) == Approx(0).margin(1e-9));
  // 5 px of translation (3, 4): every corner is 5 px off.
  CHECK(corner_error(homography_translation(3, 4), Homography{}, kW, kH) == Approx(5));
  // Scaling by 2 about the origin on an 11 x 11 image: corners (0,0), (10,0), (0,10), (10,10) move by
  // 0, 10, 10 and 10 sqrt(2).
  CHECK(corner_error(homography_scaling(2), Homography{}, 11, 11) == Approx((20 + 10 * std::sqrt(2.0)) / 4));
  // A homography that sends a corner beyond the horizon (w < 0 there, > 0 at the centre).
  const Homography horizon{{1, 0, 0, 0, 1, 0, -0.15, 0, 1}};  // w = 1 - 0.15 x: 0.25 at the centre, -0.5 at x = 10
  CHECK(std::isinf(corner_error(horizon, Homography{}, 11, 11)));
}
