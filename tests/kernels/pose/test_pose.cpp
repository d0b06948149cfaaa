// Pose primitives: hand-computed heatmaps, PAFs, peaks and PAF line scores under the stride
// convention of pose.h, edge shapes, errors, and the greedy assembly recovering two synthetic COCO
// people from their own targets. render_heatmaps on random keypoints against a plain-loop reference
// and its CUDA parity come from the case table, pose_cases.cpp.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "kernels/pose/pose.h"
#include "nets/pose/keypoints.h"
#include "nets/pose/pose_assembly.h"
#include "tests/helpers.h"

using namespace oc;

namespace {

// keypoints [N,P,K,3] from flat (x, y, v) triples.
Tensor keypoints(const std::vector<double>& v, int64_t n, int64_t p, int64_t k, DType dt = DType::f64) {
  return to(from_vector(v, {n, p, k, 3}), dt);
}

// Input-pixel centre of cell i at stride s.
double centre(double i, double s) { return i * s + (s - 1) / 2; }

double at(const std::vector<double>& v, const Shape& shape, std::initializer_list<int64_t> index) {
  int64_t flat = 0, d = 0;
  for (int64_t i : index) flat = flat * shape[static_cast<size_t>(d++)] + i;
  return v[static_cast<size_t>(flat)];
}

}  // namespace

// ---- render_heatmaps ----

TEST_CASE("render_heatmaps: a Gaussian centred on a cell is 1 there and exp(-s^2/(2 sigma^2)) one cell away",
          "[pose_kernels]") {
  const double s = 4, sigma = 3;
  for (DType dt : {DType::f32, DType::f64}) {
    INFO(dtype_name(dt));
    Tensor hm = render_heatmaps(keypoints({centre(3, s), centre(2, s), 2}, 1, 1, 1, dt), 6, 8, s, sigma);
    REQUIRE(hm.shape() == Shape{1, 1, 6, 8});
    REQUIRE(hm.dtype() == dt);
    const std::vector<double> v = to_vector<double>(hm);
    const Shape sh = hm.shape();
    CHECK(at(v, sh, {0, 0, 2, 3}) == Approx(1).margin(1e-7));
    const double one = std::exp(-s * s / (2 * sigma * sigma));
    CHECK(at(v, sh, {0, 0, 2, 4}) == Approx(one).epsilon(1e-6));
    CHECK(at(v, sh, {0, 0, 2, 2}) == Approx(one).epsilon(1e-6));
    CHECK(at(v, sh, {0, 0, 1, 3}) == Approx(one).epsilon(1e-6));
    CHECK(at(v, sh, {0, 0, 3, 4}) == Approx(one * one).epsilon(1e-6));
    // Two cells away is 8 px <= 3 sigma = 9 px: inside the window; three cells (12 px) is outside.
    CHECK(at(v, sh, {0, 0, 2, 5}) == Approx(std::exp(-64 / (2 * sigma * sigma))).epsilon(1e-6));
    CHECK(at(v, sh, {0, 0, 2, 6}) == 0);
    CHECK(at(v, sh, {0, 0, 5, 3}) == 0);
  }
}

TEST_CASE("render_heatmaps: v = 0 joints and empty slots render nothing", "[pose_kernels]") {
  // Person 0: joint 0 missing (v = 0, placed mid-map), joint 1 present; person 1: an empty slot.
  Tensor kp = keypoints({10, 10, 0, 5, 5, 2, 0, 0, 0, 0, 0, 0}, 1, 2, 2);
  const std::vector<double> v = to_vector<double>(render_heatmaps(kp, 8, 8, 2, 1.5));
  for (int64_t c = 0; c < 64; ++c) CHECK(v[static_cast<size_t>(c)] == 0);  // joint 0's map
  CHECK(*std::max_element(v.begin() + 64, v.end()) > 0.5);                 // joint 1's map
}

TEST_CASE("render_heatmaps: two people give the maximum of their Gaussians", "[pose_kernels]") {
  const double s = 1, sigma = 1;  // cells are pixels; the window reaches 3 px
  Tensor kp = keypoints({4, 4, 2, 7, 4, 1}, 1, 2, 1);
  const std::vector<double> v = to_vector<double>(render_heatmaps(kp, 9, 12, s, sigma));
  auto g = [&](double d) { return std::exp(-d * d / (2 * sigma * sigma)); };
  CHECK(v[4 * 12 + 4] == Approx(1));
  CHECK(v[4 * 12 + 7] == Approx(1));
  CHECK(v[4 * 12 + 5] == Approx(g(1)));  // 1 px from the first, 2 from the second: the max, not the sum
  CHECK(v[4 * 12 + 6] == Approx(g(1)));
  CHECK(v[4 * 12 + 10] == Approx(g(3)));  // 3 px = 3 sigma: the window's edge is inside
  CHECK(v[4 * 12 + 11] == 0);
  CHECK(v[1 * 12 + 4] == Approx(g(3)));
  CHECK(v[0 * 12 + 4] == 0);
}

TEST_CASE("render_heatmaps: edge shapes, no gradient, errors", "[pose_kernels]") {
  CHECK(render_heatmaps(keypoints({}, 0, 2, 3), 4, 4, 4, 1).shape() == Shape{0, 3, 4, 4});
  CHECK(render_heatmaps(keypoints({}, 2, 0, 3), 4, 4, 4, 1).shape() == Shape{2, 3, 4, 4});
  CHECK(to_vector<double>(render_heatmaps(keypoints({}, 1, 0, 1), 2, 2, 4, 1)) == std::vector<double>(4, 0.0));
  CHECK(render_heatmaps(keypoints({0, 0, 1}, 1, 1, 1), 0, 5, 4, 1).shape() == Shape{1, 1, 0, 5});
  CHECK(to_vector<double>(render_heatmaps(keypoints({1.5, 1.5, 1}, 1, 1, 1), 1, 1, 4, 1)) == std::vector<double>{1});
  Tensor kp = keypoints({1, 1, 1}, 1, 1, 1);
  kp.set_requires_grad();
  CHECK(!render_heatmaps(kp, 2, 2, 1, 1).requires_grad());
  test::require_error([] { render_heatmaps(from_vector(std::vector<double>{1, 1}, {1, 1, 1, 2}), 2, 2, 1, 1); },
                      {"render_heatmaps", "[N,P,K,3]"});
  test::require_error([] { render_heatmaps(keypoints({1, 1, 1}, 1, 1, 1), 2, 2, 0, 1); }, {"render_heatmaps", "stride"});
  test::require_error([] { render_heatmaps(keypoints({1, 1, 1}, 1, 1, 1), 2, 2, 1, -1); }, {"render_heatmaps", "sigma"});
  test::require_error([] { render_heatmaps(keypoints({1, 1, 1}, 1, 1, 1), -1, 2, 1, 1); }, {"render_heatmaps", "size"});
}

// ---- render_pafs ----

TEST_CASE("render_pafs: a horizontal limb gives (1, 0) along it, 0 beyond limb_width and the ends",
          "[pose_kernels]") {
  // Stride 1: cell (i, j) is centred at (j, i). Limb from (4, 5) to (12, 5), limb_width 1.
  for (DType dt : {DType::f32, DType::f64}) {
    INFO(dtype_name(dt));
    Tensor f = render_pafs(keypoints({4, 5, 2, 12, 5, 2}, 1, 1, 2, dt), {{0, 1}}, 10, 16, 1, 1);
    REQUIRE(f.shape() == Shape{1, 2, 10, 16});
    const std::vector<double> v = to_vector<double>(f);
    for (int64_t i = 0; i < 10; ++i)
      for (int64_t j = 0; j < 16; ++j) {
        INFO("cell " << i << ", " << j);
        const bool inside = i >= 4 && i <= 6 && j >= 4 && j <= 12;
        CHECK(v[static_cast<size_t>(i * 16 + j)] == (inside ? 1.0 : 0.0));
        CHECK(v[static_cast<size_t>(160 + i * 16 + j)] == 0.0);
      }
  }
}

TEST_CASE("render_pafs: overlapping people are averaged, and missing, zero-length and other limbs stay 0",
          "[pose_kernels]") {
  // Person 0: (4, 5) -> (12, 5), direction (1, 0); person 1: (8, 2) -> (8, 8), direction (0, 1).
  // Person 2: joint 1 missing; person 3: zero length. Limb 1 (joint 1 -> joint 2) has no joint 2.
  Tensor kp = keypoints({4, 5, 2, 12, 5, 2, 0, 0, 0,  //
                         8, 2, 1, 8, 8, 1, 0, 0, 0,   //
                         3, 3, 2, 9, 9, 0, 0, 0, 0,   //
                         6, 6, 2, 6, 6, 2, 0, 0, 0},
                        1, 4, 3);
  const std::vector<double> v = to_vector<double>(render_pafs(kp, {{0, 1}, {1, 2}}, 10, 16, 1, 1));
  auto fx = [&](int64_t i, int64_t j) { return v[static_cast<size_t>(i * 16 + j)]; };
  auto fy = [&](int64_t i, int64_t j) { return v[static_cast<size_t>(160 + i * 16 + j)]; };
  CHECK(fx(5, 5) == 1.0);
  CHECK(fy(5, 5) == 0.0);
  CHECK(fx(3, 8) == 0.0);
  CHECK(fy(3, 8) == 1.0);
  for (int64_t i = 4; i <= 6; ++i)
    for (int64_t j = 7; j <= 9; ++j) {
      CHECK(fx(i, j) == 0.5);  // ((1, 0) + (0, 1)) / 2
      CHECK(fy(i, j) == 0.5);
    }
  CHECK(fx(3, 3) == 0.0);  // person 2's limb is missing a joint
  CHECK(fx(6, 6) == 1.0);  // person 0's alone: person 3's zero-length limb is skipped, not counted
  for (double x : std::vector<double>(v.begin() + 320, v.end())) CHECK(x == 0.0);
}

TEST_CASE("render_pafs: stride 4 cell centres, a diagonal limb, edge shapes and errors", "[pose_kernels]") {
  // A zero-length limb alone renders nothing.
  const std::vector<double> zero = to_vector<double>(render_pafs(keypoints({6, 6, 2, 6, 6, 2}, 1, 1, 2), {{0, 1}},
                                                                 10, 16, 1, 3));
  for (double x : zero) CHECK(x == 0.0);
  // Stride 4, limb from the centre of cell (1, 1) = (5.5, 5.5) to cell (5, 5) = (21.5, 21.5), width 2:
  // the diagonal cells are on it; cell (1, 2) is 4 / sqrt(2) = 2.83 px off it: outside.
  const std::vector<double> d = to_vector<double>(render_pafs(keypoints({5.5, 5.5, 1, 21.5, 21.5, 1}, 1, 1, 2),
                                                              {{0, 1}}, 8, 8, 4, 2));
  const double r = std::sqrt(0.5);
  for (int64_t i = 0; i < 8; ++i)
    for (int64_t j = 0; j < 8; ++j) {
      INFO("cell " << i << ", " << j);
      const bool on = i == j && i >= 1 && i <= 5;
      CHECK(d[static_cast<size_t>(i * 8 + j)] == Approx(on ? r : 0.0));
      CHECK(d[static_cast<size_t>(64 + i * 8 + j)] == Approx(on ? r : 0.0));
    }
  CHECK(render_pafs(keypoints({}, 0, 1, 2), {{0, 1}}, 3, 3, 1, 1).shape() == Shape{0, 2, 3, 3});
  CHECK(render_pafs(keypoints({1, 1, 1, 2, 2, 1}, 1, 1, 2), {}, 3, 3, 1, 1).shape() == Shape{1, 0, 3, 3});
  test::require_error([] { render_pafs(keypoints({1, 1, 1, 2, 2, 1}, 1, 1, 2), {{0, 2}}, 3, 3, 1, 1); },
                      {"render_pafs", "limb 0 (0, 2)", "[0, 2)"});
  test::require_error([] { render_pafs(keypoints({1, 1, 1, 2, 2, 1}, 1, 1, 2), {{0, 1}}, 3, 3, 1, -1); },
                      {"render_pafs", "limb_width"});
}

// ---- find_peaks ----

TEST_CASE("find_peaks: a Gaussian on a cell and one between two cells are recovered to 0.05 cell",
          "[pose_kernels]") {
  const double s = 4, sigma = 6;  // 1.5 cells
  for (DType dt : {DType::f32, DType::f64}) {
    INFO(dtype_name(dt));
    // Map 0: joint on cell (3, 5). Map 1: between cells (2, 4) and (2, 5). Map 2: a quarter cell off.
    Tensor kp = keypoints({centre(5, s), centre(3, s), 2, centre(4.5, s), centre(2, s), 2, centre(6.25, s),
                           centre(4.75, s), 2},
                          1, 1, 3, dt);
    const std::vector<Peak> peaks = find_peaks(render_heatmaps(kp, 8, 12, s, sigma), 0.1, s);
    REQUIRE(peaks.size() == 3);
    const double want[3][2] = {{5, 3}, {4.5, 2}, {6.25, 4.75}};
    for (int i = 0; i < 3; ++i) {
      INFO("map " << i);
      CHECK(peaks[i].n == 0);
      CHECK(peaks[i].k == i);
      CHECK(std::abs(peaks[i].x - centre(want[i][0], s)) <= 0.05 * s);
      CHECK(std::abs(peaks[i].y - centre(want[i][1], s)) <= 0.05 * s);
    }
    CHECK(peaks[0].x == Approx(centre(5, s)).margin(1e-5));  // symmetric neighbours: offset exactly 0
    CHECK(peaks[0].score == Approx(1));
    CHECK(peaks[1].x == Approx(centre(4.5, s)).margin(1e-4));  // equal neighbours: offset exactly 0.5
  }
}

TEST_CASE("find_peaks: a plateau gives one peak at its first cell, and the threshold is strict", "[pose_kernels]") {
  std::vector<double> m(6 * 7, 0.0);
  for (int64_t i = 2; i <= 3; ++i)
    for (int64_t j = 1; j <= 3; ++j) m[static_cast<size_t>(i * 7 + j)] = 0.5;
  Tensor hm = from_vector(m, {1, 1, 6, 7});
  std::vector<Peak> peaks = find_peaks(hm, 0.1, 1);
  REQUIRE(peaks.size() == 1);
  // Cell (2, 1); its right and lower neighbours are equal, so the parabolas put the top half a cell on.
  CHECK(peaks[0].x == 1.5);
  CHECK(peaks[0].y == 2.5);
  CHECK(peaks[0].score == 0.5);
  CHECK(find_peaks(hm, 0.5, 1).empty());
  CHECK(find_peaks(hm, 0.49, 1).size() == 1);
}

TEST_CASE("find_peaks: several peaks per map in raster order, borders, 1x1 maps, batches", "[pose_kernels]") {
  // [2, 2, 3, 4]: image 0 map 0 has peaks at (0, 0) (corner: no refinement across the border) and
  // (2, 2); map 1 none; image 1 map 1 one at (1, 3).
  std::vector<double> m(2 * 2 * 12, 0.0);
  m[0] = 0.9;
  m[2 * 4 + 2] = 0.7;
  m[2 * 4 + 1] = 0.3;
  m[3 * 12 + 1 * 4 + 3] = 0.8;
  const std::vector<Peak> peaks = find_peaks(from_vector(m, {2, 2, 3, 4}), 0.2, 2);
  REQUIRE(peaks.size() == 3);
  CHECK((peaks[0].n == 0 && peaks[0].k == 0 && peaks[0].x == centre(0, 2) && peaks[0].y == centre(0, 2)));
  CHECK((peaks[1].n == 0 && peaks[1].k == 0 && peaks[1].y == centre(2, 2)));
  // Row 2 is the last: no vertical refinement; horizontally (0.3, 0.7, 0): offset (0.3 - 0) / (2 (0.3 - 1.4)).
  CHECK(peaks[1].x == Approx(centre(2 + 0.3 / (2 * -1.1), 2)));
  CHECK((peaks[2].n == 1 && peaks[2].k == 1 && peaks[2].x == centre(3, 2) && peaks[2].y == centre(1, 2)));
  CHECK(peaks[2].score == 0.8);
  const std::vector<Peak> one = find_peaks(from_vector(std::vector<double>{0.4}, {1, 1, 1, 1}), 0.1, 8);
  REQUIRE(one.size() == 1);
  CHECK((one[0].x == 3.5 && one[0].y == 3.5));
  CHECK(find_peaks(Tensor::empty({0, 3, 4, 4}), 0.1, 4).empty());
  // NaN is never a peak and never hides one.
  CHECK(find_peaks(from_vector(std::vector<double>{NAN, 1}, {1, 1, 1, 2}), 0.1, 1).size() == 1);
  test::require_error([] { find_peaks(Tensor::empty({3, 4, 4}), 0.1, 4); }, {"find_peaks", "[N,K,H,W]"});
  test::require_error([] { find_peaks(Tensor::empty({1, 1, 4, 4}), 0.1, 0); }, {"find_peaks", "stride"});
}

// ---- paf_limb_scores ----

TEST_CASE("paf_limb_scores: 1 along a perfect field, 0 across it, -1 reversed, cos at 45 degrees",
          "[pose_kernels]") {
  for (DType dt : {DType::f32, DType::f64}) {
    INFO(dtype_name(dt));
    // The field a horizontal limb (4, 5) -> (12, 5) renders (stride 1, width 1), then a uniform (1, 0).
    Tensor rendered = select(render_pafs(keypoints({4, 5, 2, 12, 5, 2}, 1, 1, 2, dt), {{0, 1}}, 10, 16, 1, 1), 0, 0);
    Tensor cands = to(from_vector(std::vector<double>{4, 5, 12, 5, 12, 5, 4, 5, 8, 1, 8, 9}, {3, 4}), dt);
    std::vector<double> r = to_vector<double>(paf_limb_scores(rendered, cands, 1, 10, 0.05));
    CHECK(r[0] == Approx(1));
    CHECK(r[1] == 1);
    CHECK(r[2] == Approx(-1));
    CHECK(r[3] == 0);
    Tensor uniform = to(cat({full({1, 10, 16}, 1.0, DType::f64), zeros({1, 10, 16}, DType::f64)}, 0), dt);
    r = to_vector<double>(paf_limb_scores(uniform, cands, 1, 10, 0.05));
    CHECK(r[4] == Approx(0).margin(1e-7));  // perpendicular
    CHECK(r[5] == 0);
    Tensor diag = to(from_vector(std::vector<double>{2, 2, 8, 8}, {1, 4}), dt);
    r = to_vector<double>(paf_limb_scores(uniform, diag, 1, 7, 0.05));
    CHECK(r[0] == Approx(std::sqrt(0.5)));
    CHECK(r[1] == 1);
  }
}

TEST_CASE("paf_limb_scores: bilinear reads at the stride convention, the midpoint for 1 sample, clamping",
          "[pose_kernels]") {
  // f_x(cell column j) = j, f_y = 0: a horizontal candidate scores the mean of its sample columns,
  // column = (x - (s - 1) / 2) / s at stride s = 4.
  std::vector<double> v;
  for (int c = 0; c < 2; ++c)
    for (int i = 0; i < 6; ++i)
      for (int j = 0; j < 8; ++j) v.push_back(c == 0 ? j : 0);
  Tensor field = from_vector(v, {2, 6, 8});
  Tensor cands = from_vector(std::vector<double>{3.5, 9, 15.5, 9,  //
                                                 100, 9, 200, 9,   //
                                                 7, 7, 7, 7},
                             {3, 4});
  std::vector<double> r = to_vector<double>(paf_limb_scores(field, cands, 4, 5, 1.0));
  CHECK(r[0] == Approx(((3.5 + 15.5) / 2 - 1.5) / 4));  // samples evenly spaced: mean = the midpoint's
  CHECK(r[1] == Approx(0.8));                           // columns 0.5, 1.25, 2, 2.75, 3.5: four exceed 1
  CHECK(r[2] == Approx(7));                             // past the right edge: the last column
  CHECK((r[4] == 0 && r[5] == 0));                      // zero length
  r = to_vector<double>(paf_limb_scores(field, cands, 4, 1, 1.0));
  CHECK(r[0] == Approx(2));  // the midpoint, x = 9.5 -> column 2
  CHECK(r[1] == 1);
  CHECK(paf_limb_scores(field, Tensor::empty({0, 4}, DType::f64), 4, 5, 0.05).shape() == Shape{0, 2});
  test::require_error([&] { paf_limb_scores(field, cands, 4, 0, 0.05); }, {"paf_limb_scores", "samples"});
  test::require_error([&] { paf_limb_scores(field, to(cands, DType::f32), 4, 5, 0.05); }, {"paf_limb_scores", "dtype"});
  test::require_error([&] { paf_limb_scores(Tensor::empty({3, 6, 8}, DType::f64), cands, 4, 5, 0.05); },
                      {"paf_limb_scores", "[2,H,W]"});
  test::require_error([&] { paf_limb_scores(field, Tensor::empty({2, 3}, DType::f64), 4, 5, 0.05); },
                      {"paf_limb_scores", "[M,4]"});
}

// ---- assembly ----

namespace {

// A COCO person in cell units around an origin (column, row): 17 joints, face to ankles.
const double kPersonCells[17][2] = {{0, 2},  {1, 1},   {-1, 1},  {2, 2},  {-2, 2},  {3, 5},  {-3, 5},
                                    {5, 9},  {-5, 9},  {6, 13},  {-6, 13}, {2, 14}, {-2, 14}, {3, 19},
                                    {-3, 19}, {3, 24}, {-3, 24}};

}  // namespace

TEST_CASE("assemble_poses: two separated synthetic people are recovered exactly from their targets",
          "[pose_kernels]") {
  const Skeleton& sk = coco_person_skeleton();
  const double s = 4, sigma = 3, width = 6;
  const int64_t h = 30, w = 40, k = 17;
  const double origin[2][2] = {{6, 2}, {26, 3}};
  std::vector<double> kp;
  for (const auto& o : origin)
    for (const auto& j : kPersonCells) kp.insert(kp.end(), {centre(o[0] + j[0], s), centre(o[1] + j[1], s), 2});
  Tensor t = keypoints(kp, 1, 2, k, DType::f32);
  Tensor hm = render_heatmaps(t, h, w, s, sigma);
  Tensor pafs = render_pafs(t, sk.limbs, h, w, s, width);
  const std::vector<Peak> peaks = find_peaks(hm, 0.1, s);
  REQUIRE(peaks.size() == 34);
  PoseAssemblyOptions o;
  o.stride = s;
  std::vector<AssembledPose> people = assemble_poses(joint_candidates(peaks, 0, k), select(pafs, 0, 0), sk.limbs, o);
  REQUIRE(people.size() == 2);
  std::sort(people.begin(), people.end(), [](const auto& a, const auto& b) { return a.joints[0].x < b.joints[0].x; });
  for (int p = 0; p < 2; ++p) {
    INFO("person " << p);
    CHECK(people[p].joint_count == 17);
    CHECK(people[p].limb_count == 19);
    CHECK(people[p].score > 0.9);
    for (int64_t j = 0; j < k; ++j) {
      INFO("joint " << j);
      CHECK(people[p].joints[j].x == Approx(kp[(p * k + j) * 3]).margin(1e-3));
      CHECK(people[p].joints[j].y == Approx(kp[(p * k + j) * 3 + 1]).margin(1e-3));
      CHECK(people[p].joints[j].score == Approx(1).margin(1e-5));
    }
  }
}

TEST_CASE("assemble_poses: a missing joint is -1, small people are dropped, errors", "[pose_kernels]") {
  const Skeleton& sk = coco_person_skeleton();
  const double s = 4;
  const int64_t h = 30, w = 40, k = 17;
  std::vector<double> kp;
  for (const auto& j : kPersonCells) kp.insert(kp.end(), {centre(6 + j[0], s), centre(2 + j[1], s), 2});
  kp[9 * 3 + 2] = 0;  // left wrist not labelled
  Tensor t = keypoints(kp, 1, 1, k);
  Tensor pafs = select(render_pafs(t, sk.limbs, h, w, s, 6), 0, 0);
  PoseAssemblyOptions o;
  o.stride = s;
  auto cands = joint_candidates(find_peaks(render_heatmaps(t, h, w, s, 3), 0.1, s), 0, k);
  std::vector<AssembledPose> people = assemble_poses(cands, pafs, sk.limbs, o);
  REQUIRE(people.size() == 1);
  CHECK(people[0].joint_count == 16);
  CHECK((people[0].joints[9].x == -1 && people[0].joints[9].y == -1 && people[0].joints[9].score == -1));
  CHECK(people[0].joints[7].x == Approx(kp[7 * 3]).margin(1e-6));
  o.min_joints = 17;
  CHECK(assemble_poses(cands, pafs, sk.limbs, o).empty());
  test::require_error([&] { assemble_poses(cands, pafs, {{0, 1}}, o); }, {"assemble_poses", "[2L,H,W]"});
  test::require_error([&] { assemble_poses(cands, slice(pafs, 0, 0, 2), {{0, 17}}, o); },
                      {"assemble_poses", "limb 0 (0, 17)"});
}

TEST_CASE("pose kernels read non-contiguous views as their contiguous copies", "[pose_kernels]") {
  // keypoints stored [N,K,P,3] and viewed as [N,P,K,3]; heatmaps transposed; candidates stored [4,M].
  Tensor stored = test::rand({2, 5, 3, 3}, 41, 0, 30, DType::f64);
  Tensor kp = permute(stored, {0, 2, 1, 3});
  REQUIRE(!kp.is_contiguous());
  REQUIRE_CLOSE(render_heatmaps(kp, 7, 9, 4, 3), render_heatmaps(contiguous(kp), 7, 9, 4, 3), 0, 0);
  REQUIRE_CLOSE(render_pafs(kp, {{0, 1}, {3, 4}}, 7, 9, 4, 3), render_pafs(contiguous(kp), {{0, 1}, {3, 4}}, 7, 9, 4, 3),
                0, 0);
  Tensor hm = transpose(test::rand({2, 3, 8, 6}, 42, 0, 1, DType::f64), 2, 3);
  const std::vector<Peak> a = find_peaks(hm, 0.5, 4), b = find_peaks(contiguous(hm), 0.5, 4);
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) CHECK((a[i].x == b[i].x && a[i].y == b[i].y && a[i].score == b[i].score));
  Tensor field = test::rand({2, 6, 8}, 43, -1, 1, DType::f64);
  Tensor cands = transpose(test::rand({4, 12}, 44, 0, 30, DType::f64), 0, 1);
  REQUIRE_CLOSE(paf_limb_scores(field, cands, 4, 10, 0.05), paf_limb_scores(field, contiguous(cands), 4, 10, 0.05), 0, 0);
}

TEST_CASE("assemble_poses: a contradicting pair is dropped or replaces the joint, and the two person scores",
          "[pose_kernels]") {
  // Joints A, B, C and limbs A-B, B-C, A-C on a 40 x 40 map of stride 1, each field constant:
  // A-B along +x, B-C and A-C along +y. A0 (5,5), B0 (30,5), C0 (30,30), C1 (5,30): A-B gives A0-B0,
  // B-C gives B0-C0 (C1 only scores cos 45), then A-C prefers A0-C1, which contradicts C0.
  Tensor pafs = zeros({6, 40, 40}, DType::f64);
  copy_(select(pafs, 0, 0), full({40, 40}, 1.0, DType::f64));
  copy_(select(pafs, 0, 3), full({40, 40}, 1.0, DType::f64));
  copy_(select(pafs, 0, 5), full({40, 40}, 1.0, DType::f64));
  const std::vector<std::array<int, 2>> limbs{{0, 1}, {1, 2}, {0, 2}};
  const std::vector<std::vector<JointCandidate>> cands{{{5, 5, 0.9}}, {{30, 5, 0.8}}, {{30, 30, 0.7}, {5, 30, 0.6}}};
  PoseAssemblyOptions o;
  o.stride = 1;
  o.image_height = 1000;  // no distance penalty: every limb scores its mean dot product, here 1
  o.min_joints = 3;
  o.min_score = 0;
  std::vector<AssembledPose> kept = assemble_poses(cands, pafs, limbs, o);
  REQUIRE(kept.size() == 1);
  CHECK(kept[0].joints[2].x == 30);  // C0: the earlier limb wins
  CHECK(kept[0].limb_count == 2);
  CHECK(kept[0].score == Approx((0.9 + 0.8 + 0.7 + 2) / 5).epsilon(1e-12));
  o.score_per_joint = true;
  CHECK(assemble_poses(cands, pafs, limbs, o)[0].score == Approx((0.9 + 0.8 + 0.7 + 2) / 3).epsilon(1e-12));
  o.score_per_joint = false;
  o.replace_contradicting = true;
  std::vector<AssembledPose> moved = assemble_poses(cands, pafs, limbs, o);
  REQUIRE(moved.size() == 1);
  CHECK(moved[0].joints[2].x == 5);  // C1: the later limb wins
  CHECK(moved[0].joints[2].score == 0.6);
  CHECK(moved[0].joint_count == 3);
  CHECK(moved[0].limb_count == 3);
  CHECK(moved[0].score == Approx((0.9 + 0.8 + 0.6 + 3) / 6).epsilon(1e-12));
}
