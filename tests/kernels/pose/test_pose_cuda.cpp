// CUDA vs CPU parity of the pose decoders and PAFs on seeded random inputs, float32 and float64
// (render_heatmaps' parity comes from the case table, pose_cases.cpp). Both devices run the per-cell
// tests of pose_math.h. The cell centres and the PAF band test are rounded op by op (no contracted
// multiply-add, core/hd_rounding.h), so the two devices cover the same cells even at exact band
// edges (tested below); values differ in the last bits of expf/exp. A PAF sample whose dot product
// ties the threshold may still flip: that check is tie-aware. Peaks are found by comparisons alone.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <random>

#include "nets/pose/keypoints.h"
#include "tests/cuda/parity.h"

using namespace oc;
using namespace oc::test;

namespace {

// float32: one exp (CUDA's expf is within 2 ulp) of an argument a contracted multiply-add may move by
// an ulp; PAF unit vectors from a sqrt and a division of a contracted sum of squares, averaged over
// at most P people; line scores are means of 10 bilinear reads. float64: the same at 1e-16.
Tol value_tol(DType dt) { return dt == DType::f32 ? Tol{2e-6, 2e-6} : Tol{1e-14, 1e-13}; }
// Peak coordinates in input pixels: the parabola offset (a ratio of contracted sums) rounded into
// the column (< 64) in T, then times the stride (<= 4).
double coord_tol(DType dt) { return dt == DType::f32 ? 1e-4 : 1e-10; }

double centre(double i, double s) { return i * s + (s - 1) / 2; }

// Keypoints [N, P, K, 3] spread over (and a little past) an h x w map of stride s; ~25% missing.
std::vector<double> random_keypoints(int64_t n, int64_t p, int64_t k, int64_t h, int64_t w, double s, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<double> v;
  for (int64_t i = 0; i < n * p * k; ++i) {
    v.push_back(-8 + u(rng) * (w * s + 16));
    v.push_back(-8 + u(rng) * (h * s + 16));
    v.push_back(u(rng) < 0.25 ? 0.0 : 2.0);
  }
  return v;
}

Tensor as_tensor(const std::vector<double>& v, const Shape& shape, DType dt, Device dev = Device::cpu()) {
  return to(to(from_vector(v, shape), dt), dev);
}

// How close cell centre (cx, cy) lies to the boundary of limb a -> b's band (ends and sides), in px.
double band_margin(const double* a, const double* b, double cx, double cy, double width) {
  const double dx = b[0] - a[0], dy = b[1] - a[1], len = std::hypot(dx, dy);
  if (a[2] <= 0 || b[2] <= 0 || len == 0) return 1e9;
  const double ux = dx / len, uy = dy / len, px = cx - a[0], py = cy - a[1];
  const double along = px * ux + py * uy, across = std::abs(px * uy - py * ux);
  return std::min({std::abs(along), std::abs(along - len), std::abs(across - width)});
}

}  // namespace

TEST_CASE("render_pafs on random keypoints with the COCO limbs (tie-aware at band edges)") {
  const auto& limbs = coco_person_skeleton().limbs;
  const int64_t n = 2, p = 5, k = 17, h = 21, w = 27, l = static_cast<int64_t>(limbs.size());
  for (DType dt : {DType::f32, DType::f64})
    for (double s : {4.0, 2.5})
      for (double width : {3.0, 8.0}) {
        INFO(dtype_name(dt) << " stride " << s << " limb_width " << width);
        const std::vector<double> kp = random_keypoints(n, p, k, h, w, s, 3201);
        const std::vector<double> want = to_vector<double>(render_pafs(as_tensor(kp, {n, p, k, 3}, dt), limbs, h, w, s, width));
        Tensor got_t = render_pafs(as_tensor(kp, {n, p, k, 3}, dt, kCuda), limbs, h, w, s, width);
        REQUIRE(got_t.device() == kCuda);
        const std::vector<double> got = to_vector<double>(got_t);
        REQUIRE(got.size() == want.size());
        int flips = 0;
        for (size_t q = 0; q < want.size(); ++q) {
          const Tol t = value_tol(dt);
          if (std::abs(got[q] - want[q]) <= t.atol + t.rtol * std::abs(want[q])) continue;
          // A mismatch is allowed only at a cell within rounding (1e-3 px) of some person's band edge.
          const int64_t cell = static_cast<int64_t>(q) % (h * w), c = static_cast<int64_t>(q) / (h * w);
          const int64_t b = c / (2 * l), li = (c % (2 * l)) / 2;
          double margin = 1e9;
          for (int64_t pi = 0; pi < p; ++pi) {
            const double* person = &kp[static_cast<size_t>((b * p + pi) * k * 3)];
            margin = std::min(margin, band_margin(person + limbs[li][0] * 3, person + limbs[li][1] * 3,
                                                  centre(static_cast<double>(cell % w), s),
                                                  centre(static_cast<double>(cell / w), s), width));
          }
          INFO("element " << q << ": cuda " << got[q] << ", cpu " << want[q] << ", band margin " << margin << " px");
          ++flips;
        }
        REQUIRE(flips == 0);
      }
}

TEST_CASE("render_pafs covers the same cells on both devices at exact band edges") {
  // Limbs in 3-4-5 directions from integer points at stride 1 (cell centres at integers): the unit
  // vector (0.8, 0.6) is inexact in binary, and every cell with 6 px - 8 py = +-10 width lies exactly
  // on a side of the band, every cell at along = 0 or = length exactly on an end. A fused
  // multiply-add in the band test would move such ties to either side on one device only.
  const std::vector<std::array<int, 2>> limbs = {{0, 1}};
  const int64_t h = 40, w = 44;
  std::vector<double> kp;
  int people = 0;
  for (double x0 : {3.0, 11.0, 20.0})
    for (const auto& [dx, dy] : std::vector<std::pair<double, double>>{{8, 6}, {16, 12}, {-6, 8}, {24, 18}}) {
      kp.insert(kp.end(), {x0, 9.0, 2.0, x0 + dx, 9.0 + dy, 2.0});
      ++people;
    }
  for (DType dt : {DType::f32, DType::f64})
    for (double width : {1.0, 2.0, 3.0, 5.0}) {
      INFO(dtype_name(dt) << " limb_width " << width);
      // The test means something only if ties exist: count cells exactly on a band edge.
      int ties = 0;
      for (int p = 0; p < people; ++p) {
        const double* a = &kp[static_cast<size_t>(p * 6)];
        for (int64_t cell = 0; cell < h * w; ++cell) {
          const double px = static_cast<double>(cell % w) - a[0], py = static_cast<double>(cell / w) - a[1];
          const double ux = (a[3] - a[0]) / std::hypot(a[3] - a[0], a[4] - a[1]), uy = (a[4] - a[1]) / std::hypot(a[3] - a[0], a[4] - a[1]);
          ties += std::abs(std::abs(std::round((px * uy - py * ux) * 1e6) / 1e6) - width) == 0;
        }
      }
      REQUIRE(ties >= 10);
      const Tensor cpu = render_pafs(as_tensor(kp, {1, people, 2, 3}, dt), limbs, h, w, 1, width);
      const Tensor cuda = render_pafs(as_tensor(kp, {1, people, 2, 3}, dt, kCuda), limbs, h, w, 1, width);
      REQUIRE_CLOSE(to(cuda, Device::cpu()), cpu, 0, 0);
    }
}

TEST_CASE("find_peaks finds the same peaks on noise, quantized plateaus and rendered maps") {
  for (DType dt : {DType::f32, DType::f64}) {
    std::vector<std::pair<std::string, Tensor>> cases;
    cases.push_back({"uniform noise", test::rand({2, 5, 33, 47}, 3301, 0, 1, dt)});
    // Four levels: ties and plateaus everywhere, so the tie rule decides many cells.
    std::mt19937_64 rng(3302);
    std::vector<double> levels;
    for (int i = 0; i < 2 * 3 * 19 * 23; ++i) levels.push_back(static_cast<double>(rng() % 5) / 4);
    cases.push_back({"quantized", as_tensor(levels, {2, 3, 19, 23}, dt)});
    cases.push_back({"rendered", render_heatmaps(as_tensor(random_keypoints(2, 6, 17, 40, 52, 4, 3303), {2, 6, 17, 3}, dt),
                                                 40, 52, 4, 5)});
    cases.push_back({"1x1 maps", test::rand({3, 2, 1, 1}, 3304, 0, 1, dt)});
    for (const auto& [name, hm] : cases) {
      INFO(dtype_name(dt) << " " << name << " " << shape_str(hm.shape()));
      const std::vector<Peak> want = find_peaks(hm, 0.3, 4), got = find_peaks(to(hm, kCuda), 0.3, 4);
      REQUIRE(got.size() == want.size());
      CHECK(!want.empty());
      for (size_t i = 0; i < want.size(); ++i) {
        INFO("peak " << i);
        REQUIRE((got[i].n == want[i].n && got[i].k == want[i].k));
        REQUIRE(got[i].score == want[i].score);
        REQUIRE(std::abs(got[i].x - want[i].x) <= coord_tol(dt));
        REQUIRE(std::abs(got[i].y - want[i].y) <= coord_tol(dt));
      }
    }
  }
}

TEST_CASE("paf_limb_scores on a random field, candidates inside and past the map (tie-aware fraction)") {
  const int64_t h = 17, w = 25, m = 400;
  const double s = 4, threshold = 0.05;
  for (DType dt : {DType::f32, DType::f64})
    for (int samples : {10, 7, 1}) {
      INFO(dtype_name(dt) << " samples " << samples);
      Tensor field = test::rand({2, h, w}, 3401, -1, 1, dt);
      Tensor cands = test::rand({m, 4}, 3402, -10, w * s + 10, dt);
      const std::vector<double> want = to_vector<double>(paf_limb_scores(field, cands, s, samples, threshold));
      const std::vector<double> got =
          to_vector<double>(paf_limb_scores(to(field, kCuda), to(cands, kCuda), s, samples, threshold));
      // The fraction can only differ where a sample's dot product lies within 1e-4 of the threshold:
      // then it lies between the CPU's fractions at threshold +- 1e-4.
      const std::vector<double> lo = to_vector<double>(paf_limb_scores(field, cands, s, samples, threshold + 1e-4));
      const std::vector<double> hi = to_vector<double>(paf_limb_scores(field, cands, s, samples, threshold - 1e-4));
      const Tol t = value_tol(dt);
      for (int64_t i = 0; i < m; ++i) {
        INFO("candidate " << i);
        const size_t q = static_cast<size_t>(2 * i);
        CHECK(std::abs(got[q] - want[q]) <= t.atol + t.rtol * std::abs(want[q]));
        if (lo[q + 1] == hi[q + 1])
          CHECK(got[q + 1] == want[q + 1]);
        else
          CHECK((got[q + 1] >= lo[q + 1] && got[q + 1] <= hi[q + 1]));
      }
    }
}
