// Pooling: forward against plain double loops (written here from PyTorch's definitions, not from
// pool_math.h), hand-computed cases, float64 gradient checks, edge shapes and error messages.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "tests/helpers.h"

using namespace oc;

namespace {

// Reference pooling of a [P, H, W] float64 tensor, by brute force over each window's positions.
struct RefPool {
  enum Mode { max, avg_incl, avg_excl } mode;
  Pool2dParams p;
};

int64_t ref_out_size(int64_t in, int64_t k, int64_t s, int64_t pad, bool ceil_mode) {
  const double span = static_cast<double>(in + 2 * pad - k) / static_cast<double>(s);
  int64_t out = static_cast<int64_t>(ceil_mode ? std::ceil(span) : std::floor(span)) + 1;
  if (ceil_mode && (out - 1) * s >= in + pad) --out;  // no window may start in the right padding
  return out;
}

std::vector<double> ref_pool(const std::vector<double>& x, int64_t P, int64_t H, int64_t W, const RefPool& r,
                             int64_t* Ho, int64_t* Wo) {
  const Pool2dParams& p = r.p;
  *Ho = ref_out_size(H, p.kernel_h, p.stride_h, p.pad_h, p.ceil_mode);
  *Wo = ref_out_size(W, p.kernel_w, p.stride_w, p.pad_w, p.ceil_mode);
  std::vector<double> out;
  for (int64_t pl = 0; pl < P; ++pl)
    for (int64_t oh = 0; oh < *Ho; ++oh)
      for (int64_t ow = 0; ow < *Wo; ++ow) {
        double best = -std::numeric_limits<double>::infinity(), sum = 0;
        int64_t in_padded = 0, in_input = 0;
        for (int64_t kh = 0; kh < p.kernel_h; ++kh)
          for (int64_t kw = 0; kw < p.kernel_w; ++kw) {
            const int64_t h = oh * p.stride_h - p.pad_h + kh, w = ow * p.stride_w - p.pad_w + kw;
            if (h >= -p.pad_h && h < H + p.pad_h && w >= -p.pad_w && w < W + p.pad_w) ++in_padded;
            if (h < 0 || h >= H || w < 0 || w >= W) continue;
            ++in_input;
            const double v = x[(pl * H + h) * W + w];
            best = std::max(best, v);
            sum += v;
          }
        if (r.mode == RefPool::max) out.push_back(best);
        else out.push_back(sum / static_cast<double>(r.mode == RefPool::avg_incl ? in_padded : in_input));
      }
  return out;
}

Tensor pool_with(const Tensor& x, const RefPool& r) {
  if (r.mode == RefPool::max) return max_pool2d(x, r.p);
  return avg_pool2d(x, r.p, r.mode == RefPool::avg_incl);
}

std::vector<Pool2dParams> param_grid() {
  std::vector<Pool2dParams> ps;
  for (auto [kh, kw] : {std::pair{1, 1}, std::pair{2, 2}, std::pair{3, 3}, std::pair{3, 2}, std::pair{4, 3}})
    for (auto [sh, sw] : {std::pair{1, 1}, std::pair{2, 2}, std::pair{3, 1}})
      for (int64_t ph = 0; ph <= kh / 2; ++ph)
        for (bool ceil_mode : {false, true}) ps.push_back({kh, kw, sh, sw, ph, kw / 2, ceil_mode});
  return ps;
}

std::string params_str(const Pool2dParams& p) {
  return str_cat("kernel ", p.kernel_h, "x", p.kernel_w, " stride ", p.stride_h, "x", p.stride_w, " pad ", p.pad_h,
                 "x", p.pad_w, p.ceil_mode ? " ceil" : "");
}

// Adaptive average pooling by its definition: bin i covers [floor(i*in/out), ceil((i+1)*in/out)).
std::vector<double> ref_adaptive(const std::vector<double>& x, int64_t P, int64_t H, int64_t W, int64_t Ho, int64_t Wo) {
  std::vector<double> out;
  for (int64_t pl = 0; pl < P; ++pl)
    for (int64_t oh = 0; oh < Ho; ++oh)
      for (int64_t ow = 0; ow < Wo; ++ow) {
        const auto h0 = static_cast<int64_t>(std::floor(static_cast<double>(oh * H) / Ho));
        const auto h1 = static_cast<int64_t>(std::ceil(static_cast<double>((oh + 1) * H) / Ho));
        const auto w0 = static_cast<int64_t>(std::floor(static_cast<double>(ow * W) / Wo));
        const auto w1 = static_cast<int64_t>(std::ceil(static_cast<double>((ow + 1) * W) / Wo));
        double s = 0;
        for (int64_t h = h0; h < h1; ++h)
          for (int64_t w = w0; w < w1; ++w) s += x[(pl * H + h) * W + w];
        out.push_back(s / static_cast<double>((h1 - h0) * (w1 - w0)));
      }
  return out;
}

Tensor ramp4x4() {
  std::vector<double> v(16);
  for (int i = 0; i < 16; ++i) v[i] = i;
  return from_vector(v, {1, 1, 4, 4});
}

}  // namespace

TEST_CASE("pool: pool2d_out_size follows PyTorch's floor / ceil rule") {
  CHECK(pool2d_out_size(4, 2, 2, 0, false) == 2);
  CHECK(pool2d_out_size(5, 2, 2, 0, false) == 2);
  CHECK(pool2d_out_size(5, 2, 2, 0, true) == 3);    // the last window holds only column 4
  CHECK(pool2d_out_size(6, 3, 2, 1, true) == 4);
  CHECK(pool2d_out_size(3, 2, 2, 1, false) == 2);
  CHECK(pool2d_out_size(3, 2, 2, 1, true) == 2);    // a third window would start in the right padding
  CHECK(pool2d_out_size(2, 3, 2, 0, true) == 1);    // ceil mode: a window may hang past the input
  CHECK(pool2d_out_size(2, 3, 1, 0, false) == 0);   // too small: the ops refuse this
  CHECK(pool2d_out_size(224, 7, 2, 3, false) == 112);
  REQUIRE_THROWS_WITH(pool2d_out_size(5, 0, 1, 0, false),
                      Catch::Contains("pool2d_out_size") && Catch::Contains("kernel 0"));
}

TEST_CASE("pool: 2x2 max pool of a 4x4 ramp, and its gradient at the maxima") {
  Tensor x = ramp4x4().set_requires_grad();
  Tensor y = max_pool2d(x, {2, 2, 2, 2});
  REQUIRE(y.shape() == Shape{1, 1, 2, 2});
  REQUIRE(to_vector<double>(y) == std::vector<double>{5, 7, 13, 15});
  sum(mul(y, from_vector<double>({1, 2, 3, 4}, {1, 1, 2, 2}))).backward();
  std::vector<double> want(16, 0);
  want[5] = 1;
  want[7] = 2;
  want[13] = 3;
  want[15] = 4;
  REQUIRE(to_vector<double>(x.grad()) == want);
  // Average of the same windows: 2.5, 4.5, 10.5, 12.5.
  REQUIRE(to_vector<double>(avg_pool2d(ramp4x4(), {2, 2, 2, 2})) == std::vector<double>{2.5, 4.5, 10.5, 12.5});
}

TEST_CASE("pool: max pool, ceil mode and padding by hand") {
  // 4x4 ramp, kernel 3, stride 2, ceil mode: windows start at 0 and 2, the second hangs over by one.
  REQUIRE(to_vector<double>(max_pool2d(ramp4x4(), {3, 3, 2, 2, 0, 0, true})) == std::vector<double>{10, 11, 14, 15});
  REQUIRE(max_pool2d(ramp4x4(), {3, 3, 2, 2}).shape() == Shape{1, 1, 1, 1});
  // Padding 1, kernel 2, stride 2 on -1 - ramp: windows [-1, 0], [1, 2], [3, 4] per axis. Padding is
  // -infinity, so the negative values still win.
  Tensor x = sub(neg(ramp4x4()), 1.0).set_requires_grad();
  Tensor y = max_pool2d(x, {2, 2, 2, 2, 1, 1});
  REQUIRE(to_vector<double>(y) == std::vector<double>{-1, -2, -4, -5, -6, -8, -13, -14, -16});
  sum(y).backward();
  REQUIRE(to_vector<double>(x.grad()) == std::vector<double>{1, 1, 0, 1, 1, 1, 0, 1, 0, 0, 0, 0, 1, 1, 0, 1});
}

TEST_CASE("pool: avg pool divisor with and without the padding") {
  Tensor x = ones({1, 1, 3, 3}, DType::f64);
  const double c = 4.0 / 9, e = 6.0 / 9;
  REQUIRE_CLOSE(avg_pool2d(x, {3, 3, 1, 1, 1, 1}, true), from_vector<double>({c, e, c, e, 1, e, c, e, c}, {1, 1, 3, 3}),
                1e-15, 0);
  REQUIRE_CLOSE(avg_pool2d(x, {3, 3, 1, 1, 1, 1}, false), ones({1, 1, 3, 3}, DType::f64), 1e-15, 0);
  // Width 4, kernel 3, stride 2, pad 1, ceil mode: windows [-1, 2), [1, 4), [3, 6). The last is
  // clipped to the padded input [-1, 5) first: 2 wide with padding, 1 without.
  Tensor r = from_vector<double>({1, 2, 3, 4}, {1, 1, 1, 4});
  Tensor incl = avg_pool2d(r, {1, 3, 1, 2, 0, 1, true}, true);
  Tensor excl = avg_pool2d(r, {1, 3, 1, 2, 0, 1, true}, false);
  REQUIRE_CLOSE(incl, from_vector<double>({3.0 / 3, 9.0 / 3, 4.0 / 2}, {1, 1, 1, 3}), 1e-15, 0);
  REQUIRE_CLOSE(excl, from_vector<double>({3.0 / 2, 9.0 / 3, 4.0 / 1}, {1, 1, 1, 3}), 1e-15, 0);
}

TEST_CASE("pool: max and avg pool match plain loops over a grid of kernels, strides, padding, ceil mode") {
  const int64_t N = 2, C = 3, H = 7, W = 6;
  Tensor x = test::rand({N, C, H, W}, 11, -2, 2, DType::f64);
  std::vector<double> xv = to_vector<double>(x);
  int checked = 0;
  for (const Pool2dParams& p : param_grid()) {
    for (auto mode : {RefPool::max, RefPool::avg_incl, RefPool::avg_excl}) {
      INFO(params_str(p) << " mode " << mode);
      RefPool r{mode, p};
      int64_t Ho, Wo;
      std::vector<double> want = ref_pool(xv, N * C, H, W, r, &Ho, &Wo);
      REQUIRE(Ho == pool2d_out_size(H, p.kernel_h, p.stride_h, p.pad_h, p.ceil_mode));
      REQUIRE(Wo == pool2d_out_size(W, p.kernel_w, p.stride_w, p.pad_w, p.ceil_mode));
      REQUIRE_CLOSE(pool_with(x, r), from_vector(want, {N, C, Ho, Wo}), 1e-15, 1e-14);
      // float32: the same windows; sums in double, rounded once.
      REQUIRE_CLOSE(pool_with(to(x, DType::f32), r), from_vector(want, {N, C, Ho, Wo}), 1e-6, 1e-6);
      ++checked;
    }
  }
  REQUIRE(checked > 100);
}

TEST_CASE("pool: max pool picks the first of tied maxima and propagates NaN") {
  Tensor x = from_vector<double>({1, 3, 3, 0}, {1, 1, 2, 2}).set_requires_grad();
  sum(max_pool2d(x, {2, 2, 2, 2})).backward();
  REQUIRE(to_vector<double>(x.grad()) == std::vector<double>{0, 1, 0, 0});
  Tensor n = from_vector<float>({1, NAN, 3, 0, 1, 2, 3, 4}, {1, 2, 2, 2});
  std::vector<float> y = to_vector<float>(max_pool2d(n, {2, 2, 1, 1}));
  REQUIRE(std::isnan(y[0]));
  REQUIRE(y[1] == 4);
}

TEST_CASE("pool: adaptive average pooling matches its bins, including overlapping and repeated ones") {
  Tensor x = test::rand({2, 3, 7, 5}, 12, -1, 1, DType::f64);
  std::vector<double> xv = to_vector<double>(x);
  for (auto [ho, wo] : {std::pair<int64_t, int64_t>{3, 2}, {1, 1}, {7, 5}, {4, 4}, {9, 8}, {2, 5}}) {
    INFO("output " << ho << "x" << wo);
    REQUIRE_CLOSE(adaptive_avg_pool2d(x, ho, wo), from_vector(ref_adaptive(xv, 6, 7, 5, ho, wo), {2, 3, ho, wo}),
                  1e-15, 1e-14);
  }
  // Global pooling is the mean over H and W.
  REQUIRE_CLOSE(adaptive_avg_pool2d(x, 1, 1), mean(x, {2, 3}, true), 1e-15, 1e-14);
}

TEST_CASE("pool: float64 gradients of max, avg and adaptive average pooling") {
  // Distinct random values: no ties, so the argmax does not move under the finite-difference step.
  Tensor x = test::rand({2, 2, 5, 6}, 13, -1, 1, DType::f64).set_requires_grad();
  for (const Pool2dParams& p : {Pool2dParams{2, 2, 2, 2}, Pool2dParams{3, 3, 2, 2, 1, 1, true},
                                Pool2dParams{3, 2, 1, 2, 1, 0, false}, Pool2dParams{2, 3, 2, 2, 1, 1, true}}) {
    INFO(params_str(p));
    REQUIRE_GRADCHECK([p](const std::vector<Tensor>& in) { return max_pool2d(in[0], p); }, {x});
    for (bool cip : {true, false})
      REQUIRE_GRADCHECK([p, cip](const std::vector<Tensor>& in) { return avg_pool2d(in[0], p, cip); }, {x});
  }
  for (auto [ho, wo] : {std::pair<int64_t, int64_t>{3, 4}, {1, 1}, {7, 8}})
    REQUIRE_GRADCHECK([ho = ho, wo = wo](const std::vector<Tensor>& in) { return adaptive_avg_pool2d(in[0], ho, wo); },
                      {x});
}

TEST_CASE("pool: edge shapes: 1x1 input, empty batch, zero channels, non-contiguous input") {
  Tensor one = from_vector<double>({2.5}, {1, 1, 1, 1});
  REQUIRE(to_vector<double>(max_pool2d(one, {1, 1, 1, 1})) == std::vector<double>{2.5});
  REQUIRE(to_vector<double>(avg_pool2d(one, {1, 1, 1, 1})) == std::vector<double>{2.5});
  REQUIRE(to_vector<double>(max_pool2d(one, {2, 2, 2, 2, 0, 0, true})) == std::vector<double>{2.5});
  REQUIRE(to_vector<double>(adaptive_avg_pool2d(one, 2, 3)) == std::vector<double>(6, 2.5));

  for (Shape shape : {Shape{0, 3, 5, 5}, Shape{2, 0, 5, 5}}) {
    INFO(shape_str(shape));
    Tensor e = zeros(shape, DType::f64).set_requires_grad();
    Tensor y = max_pool2d(e, {2, 2, 2, 2});
    REQUIRE(y.shape() == Shape{shape[0], shape[1], 2, 2});
    sum(y).backward();
    REQUIRE(e.grad().shape() == shape);
    REQUIRE(avg_pool2d(e, {3, 3, 1, 1, 1, 1}).shape() == Shape{shape[0], shape[1], 5, 5});
    REQUIRE(adaptive_avg_pool2d(e, 1, 1).shape() == Shape{shape[0], shape[1], 1, 1});
  }

  // NHWC storage seen as NCHW: a permuted, non-contiguous view. Outputs and gradients as for a copy.
  Tensor nhwc = test::rand({2, 5, 6, 3}, 14, -1, 1, DType::f64);
  Tensor view = permute(nhwc, {0, 3, 1, 2});
  REQUIRE(!view.is_contiguous());
  Tensor copy = contiguous(view);
  const Pool2dParams p{3, 3, 2, 2, 1, 1};
  REQUIRE_CLOSE(max_pool2d(view, p), max_pool2d(copy, p), 0, 0);
  REQUIRE_CLOSE(avg_pool2d(view, p, false), avg_pool2d(copy, p, false), 0, 0);
  REQUIRE_CLOSE(adaptive_avg_pool2d(view, 2, 4), adaptive_avg_pool2d(copy, 2, 4), 0, 0);
  Tensor leaf = nhwc.detach().set_requires_grad();
  REQUIRE_GRADCHECK([p](const std::vector<Tensor>& in) { return max_pool2d(permute(in[0], {0, 3, 1, 2}), p); },
                    {leaf});
}

TEST_CASE("pool: errors name the op and the shapes") {
  Tensor x = zeros({1, 2, 3, 3});
  REQUIRE_THROWS_WITH(max_pool2d(zeros({2, 3, 3}), {2, 2, 2, 2}),
                      Catch::Contains("max_pool2d: expected a 4-D input [N, C, H, W], got [2, 3, 3]"));
  REQUIRE_THROWS_WITH(max_pool2d(x, {5, 5, 1, 1}), Catch::Contains("max_pool2d: kernel 5x5 is larger than the padded "
                                                                   "input 3x3") &&
                                                       Catch::Contains("[1, 2, 3, 3]"));
  REQUIRE_THROWS_WITH(avg_pool2d(x, {4, 4, 1, 1, 0, 0}), Catch::Contains("avg_pool2d: kernel 4x4 is larger"));
  REQUIRE_THROWS_WITH(avg_pool2d(x, {3, 3, 1, 1, 2, 0}),
                      Catch::Contains("avg_pool2d: padding 2x0 must be at most half the kernel 3x3"));
  REQUIRE_THROWS_WITH(max_pool2d(x, {2, 2, 0, 1}), Catch::Contains("max_pool2d: stride 0x1 must be positive"));
  REQUIRE_THROWS_WITH(max_pool2d(x, {0, 2, 1, 1}), Catch::Contains("max_pool2d: kernel 0x2 must be positive"));
  REQUIRE_THROWS_WITH(max_pool2d(zeros({1, 2, 0, 3}), {1, 1, 1, 1}), Catch::Contains("empty spatial size"));
  REQUIRE_THROWS_WITH(adaptive_avg_pool2d(x, 0, 2),
                      Catch::Contains("adaptive_avg_pool2d: output size 0x2 must be positive (input [1, 2, 3, 3])"));
  REQUIRE_THROWS_WITH(max_pool2d(zeros({1, 1, 2, 2}, DType::i64), {1, 1, 1, 1}),
                      Catch::Contains("max_pool2d: expected a float32 or float64 tensor"));
}
