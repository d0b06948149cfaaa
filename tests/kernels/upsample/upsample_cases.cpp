// The upsample case table: upsample_nearest2d and upsample_bilinear2d (align_corners both ways), up
// and down, against the definitions in double, by float64 finite differences, against PyTorch's
// F.interpolate (tools/goldens/upsample.py), and CUDA against the CPU.
#include <cmath>

#include "tests/op_cases.h"

namespace oc::test {
namespace {

using Ints = std::vector<int64_t>;

// Bilinear resize of [P, H, W] by its definition, in double.
std::vector<double> ref_bilinear(const std::vector<double>& x, int64_t P, int64_t H, int64_t W, int64_t Ho, int64_t Wo,
                                 bool align_corners) {
  auto source = [&](int64_t dst, int64_t in, int64_t out) {
    if (align_corners) return out > 1 ? dst * static_cast<double>(in - 1) / static_cast<double>(out - 1) : 0.0;
    return std::max((dst + 0.5) * static_cast<double>(in) / static_cast<double>(out) - 0.5, 0.0);
  };
  std::vector<double> y;
  for (int64_t p = 0; p < P; ++p)
    for (int64_t oh = 0; oh < Ho; ++oh)
      for (int64_t ow = 0; ow < Wo; ++ow) {
        const double sh = source(oh, H, Ho), sw = source(ow, W, Wo);
        const auto h0 = static_cast<int64_t>(std::floor(sh)), w0 = static_cast<int64_t>(std::floor(sw));
        const int64_t h1 = std::min(h0 + 1, H - 1), w1 = std::min(w0 + 1, W - 1);
        const double lh = sh - h0, lw = sw - w0;
        auto at = [&](int64_t h, int64_t w) { return x[(p * H + h) * W + w]; };
        y.push_back((1 - lh) * ((1 - lw) * at(h0, w0) + lw * at(h0, w1)) +
                    lh * ((1 - lw) * at(h1, w0) + lw * at(h1, w1)));
      }
  return y;
}

// Nearest: source pixel min(floor(dst * in / out), in - 1).
std::vector<double> ref_nearest(const std::vector<double>& x, int64_t P, int64_t H, int64_t W, int64_t Ho,
                                int64_t Wo) {
  std::vector<double> y;
  for (int64_t p = 0; p < P; ++p)
    for (int64_t oh = 0; oh < Ho; ++oh)
      for (int64_t ow = 0; ow < Wo; ++ow) {
        const auto h = std::min<int64_t>(static_cast<int64_t>(std::floor(oh * static_cast<double>(H) / Ho)), H - 1);
        const auto w = std::min<int64_t>(static_cast<int64_t>(std::floor(ow * static_cast<double>(W) / Wo)), W - 1);
        y.push_back(x[(p * H + h) * W + w]);
      }
  return y;
}

// mode: "nearest", or bilinear with align_corners "ac" / half pixels "noac"; nhwc: x given as NHWC
// storage, read through a permutation.
OpCase upsample(const std::string& mode, const Shape& x, int64_t ho, int64_t wo, bool nhwc = false) {
  OpCase c;
  const bool nearest = mode == "nearest", ac = mode == "ac";
  c.op = nearest ? "upsample_nearest2d" : "upsample_bilinear2d";
  c.shapes = {nhwc ? Shape{x[0], x[2], x[3], x[1]} : x};
  c.params["out"] = Ints{ho, wo};
  if (!nearest) c.params["align_corners"] = ac;
  if (nhwc) c.params["permute"] = Ints{0, 3, 1, 2};
  c.inputs = uniform_inputs(c.shapes);
  auto view = [nhwc](const Tensor& t) { return nhwc ? permute(t, {0, 3, 1, 2}) : t; };
  c.run = [=](const std::vector<Tensor>& in) {
    return nearest ? upsample_nearest2d(view(in[0]), ho, wo) : upsample_bilinear2d(view(in[0]), ho, wo, ac);
  };
  c.reference = [=](const std::vector<Tensor>& in) {
    const Tensor t = contiguous(view(in[0]));
    const int64_t N = t.size(0), C = t.size(1), H = t.size(2), W = t.size(3);
    const std::vector<double> v = to_vector<double>(t);
    return from_vector(nearest ? ref_nearest(v, N * C, H, W, ho, wo) : ref_bilinear(v, N * C, H, W, ho, wo, ac),
                       {N, C, ho, wo});
  };
  // Nearest copies values; bilinear weighs four of them (float32: ~1 ulp per term).
  c.fwd64 = nearest ? kExact : Tol{1e-15, 1e-13};
  c.fwd32 = nearest ? kExact : Tol{1e-6, 1e-5};
  // CUDA runs the same coordinate code (upsample_math.h): nearest is exact, bilinear differs by
  // nvcc's FMA contraction (a few ulp). The backward passes add with atomicAdd in any order on the
  // GPU: a few ulp of the largest partial sum.
  c.cuda32 = nearest ? kExact : Tol{1e-6, 1e-6}, c.cuda64 = nearest ? kExact : Tol{1e-14, 1e-13};
  c.cuda32_grad = {1e-5, 1e-5}, c.cuda64_grad = {1e-13, 1e-12};
  return c;
}

}  // namespace
}  // namespace oc::test

OC_OP_CASES(upsample) {
  std::vector<OpCase> t;
  auto add = [&t](OpCase c, bool gradient, bool golden) { t.push_back(with_checks(std::move(c), gradient, golden)); };
  using Out = std::pair<int64_t, int64_t>;
  // Up and down, by integer and fractional factors, to 1x1 and to a single row.
  for (auto [ho, wo] : {Out{9, 7}, Out{3, 2}, Out{5, 4}, Out{1, 1}, Out{1, 6}, Out{12, 3}})
    for (const char* mode : {"ac", "noac"}) add(upsample(mode, {2, 3, 5, 4}, ho, wo), false, false);
  for (auto [ho, wo] : {Out{13, 11}, Out{3, 2}, Out{14, 10}, Out{7, 5}, Out{1, 1}})
    add(upsample("nearest", {1, 2, 7, 5}, ho, wo), false, false);

  // Float64 finite differences; bilinear through an NHWC view.
  for (auto [ho, wo] : {Out{7, 5}, Out{2, 3}, Out{6, 8}, Out{1, 1}})
    for (const char* mode : {"nearest", "ac", "noac"}) add(upsample(mode, {2, 2, 3, 4}, ho, wo), true, false);
  add(upsample("noac", {2, 2, 3, 4}, 5, 3, true), true, false);

  // PyTorch: nearest (the scale in float: 3 -> 7, 5 -> 3, and the exact 2x path), bilinear both ways.
  add(upsample("nearest", {2, 2, 3, 4}, 7, 5), false, true);
  add(upsample("nearest", {1, 2, 2, 3}, 4, 6), false, true);
  add(upsample("nearest", {1, 2, 5, 5}, 3, 2), false, true);
  for (const char* mode : {"ac", "noac"}) {
    add(upsample(mode, {2, 2, 3, 4}, 5, 7), false, true);
    add(upsample(mode, {1, 2, 4, 4}, 3, 2), false, true);
    add(upsample(mode, {1, 1, 2, 2}, 4, 4), false, true);
    add(upsample(mode, {1, 2, 1, 3}, 1, 5), false, true);
  }

  // CUDA against the CPU.
  for (const Shape& shape : {Shape{2, 3, 8, 11}, Shape{1, 2, 1, 1}, Shape{3, 4, 5, 5}})
    for (auto [ho, wo] : {Out{7, 5}, Out{3, 2}, Out{16, 22}, Out{1, 1}, Out{9, 11}})
      for (const char* mode : {"nearest", "ac", "noac"}) t.push_back(upsample(mode, shape, ho, wo));
  t.push_back(upsample("noac", {2, 3, 6, 7}, 12, 14, true));
  return t;
}
