// The soft_argmax case table: every configuration checked against the float64 definition, by
// finite differences, against PyTorch's composite (softmax, then the expectation of the coordinate
// grids; tools/goldens/soft_argmax.py), CUDA against CPU, and the benchmark shapes.
#include <limits>

#include "kernels/soft_argmax/soft_argmax.h"
#include "tests/kernels/soft_argmax/soft_argmax_reference.h"
#include "tests/op_cases.h"

namespace oc::test {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity(), kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr SoftArgmaxCoords kCoords[] = {SoftArgmaxCoords::pixel, SoftArgmaxCoords::normalized};

// out: coords (soft_argmax), both (soft_argmax_with_value, coordinates and value as one tensor),
// value or pair_coords (one output of soft_argmax_with_value: the other's gradient is undefined).
// range: the heatmaps' values, "unit" U(-1, 1), "6/beta" U(-3/beta, 3/beta) (beta * S spans 6 nats
// whatever beta is: neither flat nor one-hot), "0..1" U(0, 1).
OpCase row(const Shape& shape, double beta, SoftArgmaxCoords coords, const std::string& out,
           const std::string& range = "unit", const Axes& permutation = {}) {
  const SoftArgmaxOptions o = soft_argmax_opts(beta, coords);
  OpCase c;
  c.op = "soft_argmax";
  c.shapes = {shape};
  c.params = {{"beta", beta}, {"coords", to_string(coords)}, {"out", out}, {"range", range}};
  if (!permutation.empty()) c.params["permute"] = permutation;
  const double lo = range == "6/beta" ? -3 / beta : range == "0..1" ? 0 : -1, hi = range == "6/beta" ? 3 / beta : 1;
  c.inputs = uniform_inputs({shape}, lo, hi);
  auto pick = [out](const Tensor& coords_t, const Tensor& value) {
    return out == "both" ? cat({coords_t, unsqueeze(value, 2)}, 2) : out == "value" ? value : coords_t;
  };
  c.run = [o, out, pick, permutation](const std::vector<Tensor>& in) {
    const Tensor x = permutation.empty() ? in[0] : permute(in[0], permutation);
    if (out == "coords") return soft_argmax(x, o);
    const SoftArgmaxResult r = soft_argmax_with_value(x, o);
    return pick(r.coords, r.value);
  };
  c.reference = [o, pick, permutation](const std::vector<Tensor>& in) {
    const SoftArgmaxReference r = soft_argmax_reference(permutation.empty() ? in[0] : permute(in[0], permutation), o);
    return pick(r.coords, r.value);
  };
  // float32: row sums of up to a few thousand terms in float32, ~1e-7 relative each, on
  // coordinates below 128 pixels and on beta * S; the value alone is held to 1e-5.
  c.fwd32 = out == "value" ? Tol{1e-5, 1e-5} : Tol{1e-4, 1e-5};
  // CUDA sums in another order (per thread, then a shuffle and shared-memory tree in T; the CPU per
  // row in T, then across rows in double), and nvcc contracts multiply-adds. float32: ratios of sums
  // of up to 16384 terms (~1e-6 relative, times coordinates < 128 px); the gradients
  // p * (beta g.(c - mu) + g_v) carry that error times beta * p. float64: 1e-16 per term.
  c.cuda32 = {2e-4, 2e-5}, c.cuda32_grad = {2e-5, 1e-4};
  c.cuda64 = {1e-11, 1e-11}, c.cuda64_grad = {1e-12, 1e-10};
  // Goldens (float64 on both sides, the default bounds): PyTorch materializes the softmax, we keep
  // rescaled running sums; over a few hundred pixels the orders differ by ~1e-15, the gradients
  // (up to ~1e3 at beta 100) by ~1e-13.
  return c;
}

}  // namespace
}  // namespace oc::test

OC_OP_CASES(soft_argmax) {
  std::vector<OpCase> t;
  // Spread-out maps, every beta, both conventions, 2-D and 3-D and a single row, every output: the
  // float64 gradient check (steps of 1e-6 move beta * S by at most 1e-4, where the third derivative,
  // ~beta^3, leaves an error far below the bounds) and the goldens.
  for (const Shape& shape : {Shape{2, 3, 4, 5}, Shape{2, 2, 3, 4, 5}, Shape{1, 2, 1, 6}})
    for (double beta : {0.5, 1.0, 10.0, 100.0})
      for (SoftArgmaxCoords coords : kCoords)
        for (const char* out : {"coords", "both", "value", "pair_coords"})
          t.push_back(with_checks(row(shape, beta, coords, out, "6/beta")));
  // Values in [-1, 1]: at beta 10 a dominant peak (20 nats; most pixels weigh ~1e-8, their gradients
  // too), at beta 100 nearly one-hot.
  for (SoftArgmaxCoords coords : kCoords) {
    t.push_back(with_checks(row({2, 2, 5, 6}, 10, coords, "both")));
    t.push_back(with_checks(row({2, 2, 16, 12}, 10, coords, "both")));
    t.push_back(with_checks(row({2, 2, 1, 1}, 1, coords, "both")));
    t.push_back(with_checks(row({1, 3, 1, 8}, 2, coords, "coords")));
    for (double beta : {0.5, 1.0, 10.0, 100.0})
      for (const Shape& shape : {Shape{2, 3, 7, 9}, Shape{1, 2, 3, 4, 5}, Shape{2, 1, 33, 17}})
        t.push_back(with_checks(row(shape, beta, coords, "both"), false, true));
  }
  // CUDA: 1x1, a single row, 31x33 (1023 pixels: the largest map a warp takes), 32x33 (the smallest
  // a block takes), 128x128; 3-D volumes.
  for (const Shape& shape : {Shape{2, 3, 1, 1}, Shape{1, 2, 1, 40}, Shape{2, 3, 7, 9}, Shape{2, 2, 31, 33},
                             Shape{1, 2, 32, 33}, Shape{2, 3, 128, 128}, Shape{2, 3, 3, 4, 5}, Shape{1, 2, 1, 1, 1},
                             Shape{1, 2, 16, 24, 20}})
    for (double beta : {1.0, 10.0})
      for (SoftArgmaxCoords coords : kCoords)
        for (const char* out : {"coords", "both"}) t.push_back(row(shape, beta, coords, out));
  // 140000 1x1 maps (17500 CUDA blocks of 8 warps).
  OpCase many = row({1000, 140, 1, 1}, 1, SoftArgmaxCoords::pixel, "both");
  many.parity_dtypes = {DType::f32};
  t.push_back(many);
  // beta = 1e4 on [0, 1]: nearly one-hot; where two pixels nearly tie the gradients reach ~1e3, so
  // the CUDA bound on them is relative.
  OpCase sharp = row({2, 4, 20, 20}, 1e4, SoftArgmaxCoords::pixel, "both", "0..1");
  sharp.parity_dtypes = {DType::f32};
  sharp.cuda32_grad = {1e-2, 1e-3};
  t.push_back(sharp);
  // -inf and NaN pixels (parity and forward only): 1x40 maps whose first pixels are -inf (CUDA's
  // online max starts at -inf: -inf - -inf once made the whole map NaN), a map with -inf everywhere
  // but one pixel, an all -inf map (coordinates NaN, value -inf, as a log-sum-exp) and a map with a NaN
  // (all NaN).
  {
    std::vector<std::pair<int64_t, double>> specials = {{0, -kInf}, {1, -kInf}, {41, -kInf}, {79, -kInf}, {120, kNaN}};
    for (int64_t i = 160; i < 200; ++i) specials.push_back({i, i == 170 ? 0.5 : -kInf});
    for (int64_t i = 200; i < 240; ++i) specials.push_back({i, -kInf});
    for (SoftArgmaxCoords coords : kCoords) {
      OpCase c = row({1, 6, 1, 40}, 1, coords, "both");
      c.params["x"] = "-inf and NaN";
      c.inputs = with_values(c.inputs, specials);
      t.push_back(c);
    }
  }
  // Non-contiguous heatmaps: [N,H,W,K] read as [N,K,H,W]; 3-D with the gradient through the view.
  OpCase nhwk = row({2, 9, 8, 5}, 1, SoftArgmaxCoords::pixel, "both", "unit", {0, 3, 1, 2});
  nhwk.parity_dtypes = {DType::f32};
  t.push_back(nhwk);
  t.push_back(with_checks(row({1, 2, 3, 4, 2}, 2, SoftArgmaxCoords::pixel, "both", "unit", {0, 4, 1, 2, 3}), true, false));
  // `ocellus bench soft_argmax`: K keypoint heatmaps per image, beta 1, pixel coordinates.
  for (const Shape& shape : {Shape{64, 17, 64, 64}, Shape{256, 16, 32, 32}, Shape{32, 17, 128, 128}}) {
    OpCase b = row(shape, 1, SoftArgmaxCoords::pixel, "coords");
    b.bench = true;
    t.push_back(b);
  }
  return t;
}
