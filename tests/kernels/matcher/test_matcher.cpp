// Matcher by hand: each threshold edge (exact equality included), the first maximum among ground
// truths, low-quality matches with all their ties, torchvision's restoring of the anchor's own
// argmax, empty inputs, NaN and the errors.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "kernels/matcher/matcher.h"
#include "tests/helpers.h"

using namespace oc;
using namespace oc::test;

namespace {

std::vector<int64_t> run_match(const std::vector<double>& iou, int64_t g, int64_t a, double high, double low,
                               bool low_quality, DType dt = DType::f32) {
  return to_vector<int64_t>(match(to(from_vector(iou, {g, a}), dt), high, low, low_quality));
}

}  // namespace

TEST_CASE("match: iou < low is -1, low <= iou < high is -2, iou >= high is matched, at the exact thresholds") {
  // As torchvision: the thresholds are compared in the IoU's dtype, so float32(0.3) is "between" and
  // float32(0.7) matched.
  for (DType dt : {DType::f32, DType::f64}) {
    const std::vector<double> iou = {0.29, 0.3, 0.5, 0.69, 0.7, 0.9, 0.0};
    REQUIRE(run_match(iou, 1, 7, 0.7, 0.3, false, dt) == std::vector<int64_t>{-1, -2, -2, -2, 0, 0, -1});
    // high == low: nothing is "between"
    REQUIRE(run_match(iou, 1, 7, 0.5, 0.5, false, dt) == std::vector<int64_t>{-1, -1, 0, 0, 0, 0, -1});
  }
  // 0.3 rounds to float32 above 0.3 (0.300000012): as float32 IoU it is still "between" with the
  // float32 threshold; float64 0.3 is exactly the threshold too.
  REQUIRE(run_match({0.3}, 1, 1, 0.7, 0.3, false, DType::f32) == std::vector<int64_t>{-2});
}

TEST_CASE("match: an anchor goes to the first of tied ground truths") {
  // columns: anchor 0 ties g1 and g2 at 0.9; anchor 1 ties g0 and g2 at 0.8; anchor 2 all equal
  const std::vector<double> iou = {0.8, 0.8, 0.75,   // g0
                                   0.9, 0.1, 0.75,   // g1
                                   0.9, 0.8, 0.75};  // g2
  REQUIRE(run_match(iou, 3, 3, 0.7, 0.3, false) == std::vector<int64_t>{1, 0, 0});
}

TEST_CASE("match: low-quality matches keep every anchor tying a ground truth's best") {
  // g0's best is 0.6, at anchors 1 and 2 (both kept); g1's best 0.4, at anchors 0 and 3.
  const std::vector<double> iou = {0.2, 0.6, 0.6, 0.1,   // g0
                                   0.4, 0.3, 0.1, 0.4};  // g1
  REQUIRE(run_match(iou, 2, 4, 0.7, 0.3, false) == std::vector<int64_t>{-2, -2, -2, -2});
  REQUIRE(run_match(iou, 2, 4, 0.7, 0.3, true) == std::vector<int64_t>{1, 0, 0, 1});
}

TEST_CASE("match: a low-quality anchor gets its own argmax, not the ground truth it ties (torchvision)") {
  // g1's best (0.2) is at anchor 0, where g0 has 0.25: anchor 0 is restored to its argmax g0.
  // g0's best is 0.9 (anchor 2). Anchor 1 ties nobody's best and stays below low.
  const std::vector<double> iou = {0.25, 0.1, 0.9,   // g0
                                   0.2, 0.05, 0.1};  // g1
  REQUIRE(run_match(iou, 2, 3, 0.7, 0.3, true) == std::vector<int64_t>{0, -1, 0});
  // A ground truth overlapping nothing (best 0) re-matches every anchor at 0 to its argmax.
  const std::vector<double> zero = {0.1, 0.0, 0.9,   // g0
                                    0.0, 0.0, 0.0};  // g1
  REQUIRE(run_match(zero, 2, 3, 0.7, 0.3, false) == std::vector<int64_t>{-1, -1, 0});
  REQUIRE(run_match(zero, 2, 3, 0.7, 0.3, true) == std::vector<int64_t>{0, 0, 0});
}

TEST_CASE("match of a strided view equals the match of its copy") {
  Tensor base = test::rand({50, 4}, 4101, 0, 1, DType::f32);  // [A, G], viewed as [G, A]
  Tensor view = transpose(base, 0, 1);
  REQUIRE(!view.is_contiguous());
  REQUIRE(to_vector<int64_t>(match(view, 0.7, 0.3, true)) ==
          to_vector<int64_t>(match(contiguous(view), 0.7, 0.3, true)));
}

TEST_CASE("match without ground truths is all -1, without anchors empty") {
  Tensor none = match(zeros({0, 5}), 0.7, 0.3, true);
  REQUIRE(none.dtype() == DType::i64);
  REQUIRE(to_vector<int64_t>(none) == std::vector<int64_t>(5, -1));
  REQUIRE(match(zeros({3, 0}), 0.7, 0.3, true).shape() == Shape{0});
}

TEST_CASE("match refuses NaN, bad thresholds, shapes and dtypes") {
  std::vector<double> iou = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6};
  iou[4] = NAN;
  require_error([&] { match(from_vector(iou, {2, 3}), 0.7, 0.3, false); }, {"match", "NaN", "row 1", "[2, 3]"});
  require_error([] { match(zeros({2, 3}), 0.3, 0.7, false); }, {"match", "low <= high", "low 0.7", "high 0.3"});
  require_error([] { match(zeros({2, 3}), NAN, 0.3, false); }, {"match", "finite"});
  require_error([] { match(zeros({6}), 0.7, 0.3, false); }, {"match", "[6]"});
  require_error([] { match(zeros({2, 3}, DType::i64), 0.7, 0.3, false); }, {"match", "int64"});
}
