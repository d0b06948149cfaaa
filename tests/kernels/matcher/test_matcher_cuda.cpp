// Matcher and balanced sampler on CUDA: the CPU's answers exactly, on random inputs with many ties
// (quantized IoUs), the edge shapes, and the sampler's choice for the same generator state.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "kernels/matcher/matcher.h"
#include "tests/cuda/parity.h"
#include "tests/helpers.h"

using namespace oc;
using namespace oc::test;

namespace {

// IoUs in {0, 0.1, ..., 1}: ties between ground truths and at every ground truth's best, and
// values exactly at thresholds 0.3, 0.5, 0.7 (as the dtype rounds them on both devices).
Tensor quantized_iou(int64_t g, int64_t a, uint64_t seed, DType dt) {
  Tensor u = test::rand({g, a}, seed, 0, 10.999, DType::f64);
  return to(div(to(to(u, DType::i64), DType::f64), 10.0), dt);
}

}  // namespace

TEST_CASE("match on CUDA equals the CPU's, ties and exact thresholds included") {
  uint64_t seed = 800;
  for (DType dt : {DType::f32, DType::f64})
    for (auto [g, a] : std::vector<std::pair<int64_t, int64_t>>{{1, 1}, {1, 257}, {3, 1000}, {17, 5003}, {40, 30011}})
      for (auto [high, low] : std::vector<std::pair<double, double>>{{0.7, 0.3}, {0.5, 0.5}, {0.5, 0.4}})
        for (bool lq : {false, true}) {
          INFO(dtype_name(dt) << " G " << g << " A " << a << " high " << high << " low " << low << " lq " << lq);
          Tensor iou = quantized_iou(g, a, ++seed, dt);
          Tensor want = match(iou, high, low, lq), got = match(to(iou, kCuda), high, low, lq);
          REQUIRE(got.device() == kCuda);
          REQUIRE(to_vector<int64_t>(got) == to_vector<int64_t>(want));
        }
  // Continuous IoUs (few ties) and a strided view.
  Tensor iou = test::rand({600, 9}, 899, 0, 1, DType::f32);
  Tensor view = transpose(iou, 0, 1);
  REQUIRE(to_vector<int64_t>(match(to(view, kCuda), 0.7, 0.3, true)) == to_vector<int64_t>(match(view, 0.7, 0.3, true)));
}

TEST_CASE("match on CUDA: no ground truths, no anchors, NaN") {
  REQUIRE(to_vector<int64_t>(match(zeros({0, 7}, DType::f32, kCuda), 0.7, 0.3, true)) == std::vector<int64_t>(7, -1));
  REQUIRE(match(zeros({2, 0}, DType::f32, kCuda), 0.7, 0.3, true).shape() == Shape{0});
  std::vector<float> v(12, 0.5f);
  v[9] = NAN;
  require_error([&] { match(from_vector(v, {3, 4}, kCuda), 0.7, 0.3, false); }, {"match", "NaN", "row 2"});
}

TEST_CASE("sample_balanced on CUDA chooses the CPU's elements for the same generator state") {
  struct Case {
    int64_t n, batch;
    double frac;
  };
  // sizes around the 4-per-block Philox layout, and large ones (several radix rounds decide)
  const std::vector<Case> cases = {{1, 4, 0.5},      {7, 4, 0.5},      {9, 100, 0.5},   {1000, 256, 0.5},
                                   {1000, 64, 0.25}, {70001, 256, 0.5}, {70001, 5000, 0.1}, {200003, 512, 0.25},
                                   {5000, 0, 0.5},   {5000, 300, 1.0},  {5000, 300, 0.0}};
  uint64_t seed = 31;
  for (const Case& c : cases) {
    INFO("n " << c.n << " batch " << c.batch << " frac " << c.frac);
    // labels in {-1, 0, 1, 2}, about half negatives
    Tensor u = test::rand({c.n}, ++seed, 0, 1, DType::f64);
    std::vector<double> uv = to_vector<double>(u);
    std::vector<int64_t> labels(c.n);
    for (int64_t i = 0; i < c.n; ++i) labels[i] = uv[i] < 0.2 ? -1 : (uv[i] < 0.7 ? 0 : (uv[i] < 0.85 ? 1 : 2));
    Tensor lab = from_vector(labels, {c.n});
    Generator gc(seed * 7), gg(seed * 7);
    gc.offset = gg.offset = 12345;
    BalancedSample want = sample_balanced(lab, c.batch, c.frac, &gc);
    BalancedSample got = sample_balanced(to(lab, kCuda), c.batch, c.frac, &gg);
    REQUIRE(got.positive.device() == kCuda);
    REQUIRE(gc.offset == gg.offset);
    const std::vector<int64_t> wp = to_vector<int64_t>(want.positive), wn = to_vector<int64_t>(want.negative);
    REQUIRE(to_vector<int64_t>(got.positive) == wp);
    REQUIRE(to_vector<int64_t>(got.negative) == wn);
    int64_t np = 0, nn = 0;
    for (int64_t i = 0; i < c.n; ++i) np += wp[i], nn += wn[i];
    INFO("chose " << np << " positives and " << nn << " negatives");
    REQUIRE(np + nn <= c.batch);
  }
  // Every element positive: the radix rounds decide among all the keys.
  Tensor ones_lab = full({4099}, 1, DType::i64);
  Generator a(3), b(3);
  REQUIRE(to_vector<int64_t>(sample_balanced(to(ones_lab, kCuda), 100, 0.5, &b).positive) ==
          to_vector<int64_t>(sample_balanced(ones_lab, 100, 0.5, &a).positive));
}
