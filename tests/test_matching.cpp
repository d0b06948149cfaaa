// Matching and its scores: mutual nearest neighbours on hand-made descriptors (a non-mutual pair,
// ties on both sides) and against a brute-force search on tie-rich random ones; MMA, correct
// matches, repeatability and the corner error on points constructed around a known homography.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>

#include "core/error.h"
#include "tests/helpers.h"
#include "train/metrics/matching.h"

using namespace oc;

namespace {

ImageFeatures features_of(const std::vector<std::vector<float>>& rows) {
  ImageFeatures f;
  f.width = 200, f.height = 200;
  f.dim = rows.empty() ? 0 : int64_t(rows[0].size());
  for (size_t i = 0; i < rows.size(); ++i) {
    f.points.push_back({double(i), double(i), 4, -1, 1});
    f.descriptors.insert(f.descriptors.end(), rows[i].begin(), rows[i].end());
  }
  return f;
}

FeaturePoint at(double x, double y) { return {x, y, 4, -1, 1}; }

FeaturePoint mapped(const Homography& h, double x, double y, double dx = 0, double dy = 0) {
  double u, v;
  homography_apply(h, x, y, &u, &v);
  return at(u + dx, v + dy);
}

}  // namespace

TEST_CASE("matching: mutual nearest neighbours on hand-made descriptors", "[matching]") {
  // Squared distances by hand:
  //   a0 (11,10): b0 1                  <- b0's nearest too: a match (0, 0, 1)
  //   a1 (15,10): b0 25 = b1 25 (a tie) -> b0 (lowest j); b0 prefers a0: no match, and b1's
  //               nearest is a1, but a1 chose b0: (1, 1) is not mutual
  //   a2 (10,27): b2 9                  <- mutual: (2, 2, 9)
  //   a3 (40,40): b3 200                   but b3's nearest is a4 (50): not mutual
  //   a4 (45,45): b3 50                 <- mutual: (4, 3, 50)
  //   a5 (100,103), a6 (103,100): both b4 9; b4's tie goes to a5 (lowest i): (5, 4, 9)
  const ImageFeatures a = features_of({{11, 10}, {15, 10}, {10, 27}, {40, 40}, {45, 45}, {100, 103}, {103, 100}});
  const ImageFeatures b = features_of({{10, 10}, {20, 10}, {10, 30}, {50, 50}, {100, 100}});
  const std::vector<Match> m = mutual_nearest_neighbours(a, b);
  REQUIRE(m.size() == 4);
  const int64_t want[4][3] = {{0, 0, 1}, {2, 2, 9}, {4, 3, 50}, {5, 4, 9}};
  for (int k = 0; k < 4; ++k) {
    CHECK(m[k].i == want[k][0]);
    CHECK(m[k].j == want[k][1]);
    CHECK(m[k].distance == float(want[k][2]));
  }
}

TEST_CASE("matching: mutual nearest neighbours agree with a brute-force search, ties included", "[matching]") {
  // Small integers make many exact ties; 600 rows of a cross the search's 256-row blocks.
  std::mt19937_64 rng(31);
  std::uniform_int_distribution<int> v(1, 3);
  std::vector<std::vector<float>> ra(600, std::vector<float>(16)), rb(300, std::vector<float>(16));
  for (auto& r : ra)
    for (float& x : r) x = float(v(rng));
  for (auto& r : rb)
    for (float& x : r) x = float(v(rng));
  const ImageFeatures a = features_of(ra), b = features_of(rb);
  auto dist = [&](size_t i, size_t j) {
    double s = 0;
    for (size_t k = 0; k < 16; ++k) s += (ra[i][k] - rb[j][k]) * (ra[i][k] - rb[j][k]);
    return s;
  };
  std::vector<size_t> nn_a(ra.size()), nn_b(rb.size());
  for (size_t i = 0; i < ra.size(); ++i)
    for (size_t j = 1; j < rb.size(); ++j)
      if (dist(i, j) < dist(i, nn_a[i])) nn_a[i] = j;
  for (size_t j = 0; j < rb.size(); ++j)
    for (size_t i = 1; i < ra.size(); ++i)
      if (dist(i, j) < dist(nn_b[j], j)) nn_b[j] = i;
  std::vector<Match> want;
  for (size_t i = 0; i < ra.size(); ++i)
    if (nn_b[nn_a[i]] == i) want.push_back({int64_t(i), int64_t(nn_a[i]), float(dist(i, nn_a[i]))});
  const std::vector<Match> got = mutual_nearest_neighbours(a, b);
  REQUIRE(got.size() == want.size());
  REQUIRE(!got.empty());
  for (size_t k = 0; k < got.size(); ++k) {
    CHECK(got[k].i == want[k].i);
    CHECK(got[k].j == want[k].j);
    CHECK(got[k].distance == want[k].distance);
  }
}

TEST_CASE("matching: empty sides give no matches, mismatched descriptors are errors", "[matching]") {
  const ImageFeatures a = features_of({{1, 2, 3}, {4, 5, 6}});
  CHECK(mutual_nearest_neighbours(a, features_of({})).empty());
  CHECK(mutual_nearest_neighbours(features_of({}), a).empty());
  test::require_error([&] { mutual_nearest_neighbours(a, features_of({{1, 2}})); },
                      {"dimension 3 (image a) and 2 (image b)"});
  ImageFeatures broken = a;
  broken.descriptors.pop_back();
  test::require_error([&] { mutual_nearest_neighbours(broken, a); },
                      {"image a", "5 descriptor values for 2 keypoints"});
}

TEST_CASE("matching: MMA, correct matches, repeatability and corner error on a known homography", "[matching]") {
  const Homography h{{1.1, 0.02, 7, -0.01, 1.05, 5, 1e-4, -5e-5, 1}};
  ImageFeatures a, b;
  a.width = b.width = 100;
  a.height = b.height = 80;
  // Ten keypoints of a on a grid 15 px apart, and their partners in b: five exact, three 2 px off,
  // two 6 px off.
  const double offsets[10][2] = {{0, 0}, {0, 0}, {0, 0}, {0, 0}, {0, 0}, {2, 0}, {0, -2}, {1.2, 1.6}, {6, 0}, {0, 6}};
  std::vector<Match> matches;
  for (int k = 0; k < 10; ++k) {
    const double x = 10 + 15 * (k % 5), y = k < 5 ? 10 : 40;
    a.points.push_back(at(x, y));
    b.points.push_back(mapped(h, x, y, offsets[k][0], offsets[k][1]));
    matches.push_back({k, k, 1});
  }
  a.points.push_back(at(40, 25));           // visible in b, no keypoint of b near it
  a.points.push_back(at(95, 75));           // lands beyond b's right edge
  b.points.push_back(mapped(h, 25, 25));    // visible in a, no keypoint of a near it
  b.points.push_back(at(2, 2));             // lands above and left of a
  double x, y;
  homography_apply(h, 95, 75, &x, &y);
  REQUIRE(x > 99.5);  // the setup: (95, 75) really leaves b
  homography_apply(homography_inverse(h), 2, 2, &x, &y);
  REQUIRE((x < -0.5 && y < -0.5));

  const std::vector<double> thresholds = {1, 3, 5, 10};
  const MatchScores s = score_matches(a, b, matches, h, thresholds);
  REQUIRE(s.mma.size() == 4);
  CHECK(s.mma[0] == Approx(0.5));
  CHECK(s.mma[1] == Approx(0.8));
  CHECK(s.mma[2] == Approx(0.8));
  CHECK(s.mma[3] == Approx(1.0));
  CHECK(s.matches == 10);
  CHECK(s.correct == 8);
  CHECK(s.visible_a == 11);
  CHECK(s.visible_b == 11);
  CHECK(s.repeated_a == 8);
  CHECK(s.repeated_b == 8);
  CHECK(s.repeatability == Approx(16.0 / 22.0));
  // Two rows of points pin H down poorly away from them (several models keep 8 of the 10 within
  // 3 px), so only the count is certain here; the next test checks the corner error.
  REQUIRE(s.ransac.ok);
  CHECK(s.ransac.inliers == 8);
  CHECK(std::isfinite(s.corner_error));

  const std::vector<double> errors = reprojection_errors(a, b, matches, h);
  CHECK(errors[0] == Approx(0).margin(1e-9));
  CHECK(errors[7] == Approx(2));
  CHECK(errors[9] == Approx(6));
}

TEST_CASE("matching: the corner error scores RANSAC's homography from the matches", "[matching]") {
  // 40 exact matches spread over a 320 x 240 image and 10 wrong ones: RANSAC keeps the 40 and its
  // homography is the true one; a 2 px shift of every point of b is then a 2 px corner error.
  const Homography h{{0.9, 0.05, 12, -0.04, 1.1, -6, 2e-4, 1e-4, 1}};
  std::mt19937_64 rng(33);
  std::uniform_real_distribution<double> ux(0, 319), uy(0, 239);
  ImageFeatures a, b, shifted;
  a.width = b.width = shifted.width = 320;
  a.height = b.height = shifted.height = 240;
  std::vector<Match> matches;
  for (int k = 0; k < 50; ++k) {
    const double x = ux(rng), y = uy(rng);
    a.points.push_back(at(x, y));
    b.points.push_back(k < 40 ? mapped(h, x, y) : at(ux(rng), uy(rng)));
    shifted.points.push_back(at(b.points.back().x + 2, b.points.back().y));
    matches.push_back({k, k, 1});
  }
  const MatchScores s = score_matches(a, b, matches, h, {3});
  REQUIRE(s.ransac.ok);
  CHECK(s.ransac.inliers == 40);
  CHECK(s.corner_error < 1e-6);
  CHECK(s.mma[0] == Approx(0.8));
  const MatchScores t = score_matches(a, shifted, matches, h, {3});
  CHECK(t.corner_error == Approx(2).margin(1e-6));
  CHECK(t.mma[0] == Approx(0.8));  // 2 px is within 3
}

TEST_CASE("matching: no matches score 0 and no homography, bad input is an error", "[matching]") {
  std::mt19937_64 rng(32);
  std::uniform_real_distribution<double> u(0, 60);
  ImageFeatures a, b;
  a.width = b.width = a.height = b.height = 64;
  for (int k = 0; k < 5; ++k) a.points.push_back(at(u(rng), u(rng))), b.points.push_back(at(u(rng), u(rng)));
  const Homography h = homography_translation(1.5, -2.5);
  const MatchScores s = score_matches(a, b, {}, h, {1, 3});
  CHECK(s.mma == std::vector<double>{0, 0});
  CHECK(s.correct == 0);
  CHECK_FALSE(s.ransac.ok);
  CHECK(std::isinf(s.corner_error));
  CHECK(s.visible_a + s.visible_b > 0);  // the keypoints still count for repeatability
  test::require_error([&] { score_matches(a, b, {{0, 5, 1}}, h, {3}); }, {"match 0", "keypoint 5 of b (which has 5)"});
  test::require_error([&] { score_matches(a, b, {}, h, {0}); }, {"thresholds must be > 0"});
}
