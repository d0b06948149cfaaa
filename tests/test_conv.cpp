// conv2d and conv_transpose2d: forward and both gradients against plain loops in double (stride,
// padding, dilation, groups, depthwise, odd and edge shapes), hand-computed cases, float64
// finite-difference checks, non-contiguous operands, errors, and the implicit-GEMM index math of the
// CUDA kernels run on the CPU.
#include <catch2/catch.hpp>

#include <functional>
#include <string>

#include "kernels/conv/conv_math.h"
#include "tests/conv_cases.h"
#include "tests/helpers.h"

using namespace oc;
using test::conv_params;
using test::ConvCase;

namespace {

// --- references: the definitions as plain loops, in double --------------------------------------

struct Dims {
  int64_t N, C, H, W, K, Cg, R, S, Ho, Wo, G;
};

// Ho and Wo from the formula, or as given (conv_transpose2d's gradients: a conv2d whose output is
// cropped to the transposed convolution's input size).
Dims dims_of(const Tensor& x, const Tensor& w, const Conv2dParams& p, int64_t Ho = -1, int64_t Wo = -1) {
  Dims d{x.size(0), x.size(1), x.size(2), x.size(3), w.size(0), w.size(1), w.size(2), w.size(3), Ho, Wo, p.groups};
  if (Ho < 0) d.Ho = (d.H + 2 * p.pad_h - p.dilation_h * (d.R - 1) - 1) / p.stride_h + 1;
  if (Wo < 0) d.Wo = (d.W + 2 * p.pad_w - p.dilation_w * (d.S - 1) - 1) / p.stride_w + 1;
  return d;
}

// Calls f(n, k, ho, wo, ci, c, r, s, h, w) for every (output value, tap) pair that reads inside x:
// input channel ci (global) = g*Cg + c of weight w[k, c, r, s]. The seven loops of the definition.
void for_each_tap(const Dims& d, const Conv2dParams& p,
                  const std::function<void(int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t,
                                           int64_t, int64_t)>& f) {
  const int64_t Kg = d.K / d.G;
  for (int64_t n = 0; n < d.N; ++n)
    for (int64_t k = 0; k < d.K; ++k)
      for (int64_t ho = 0; ho < d.Ho; ++ho)
        for (int64_t wo = 0; wo < d.Wo; ++wo)
          for (int64_t c = 0; c < d.Cg; ++c)
            for (int64_t r = 0; r < d.R; ++r)
              for (int64_t s = 0; s < d.S; ++s) {
                const int64_t h = ho * p.stride_h - p.pad_h + r * p.dilation_h;
                const int64_t w = wo * p.stride_w - p.pad_w + s * p.dilation_w;
                if (h < 0 || h >= d.H || w < 0 || w >= d.W) continue;
                f(n, k, ho, wo, (k / Kg) * d.Cg + c, c, r, s, h, w);
              }
}

Tensor ref_conv2d(const Tensor& x, const Tensor& w, const Tensor& bias, const Conv2dParams& p, int64_t Ho = -1,
                  int64_t Wo = -1) {
  const Dims d = dims_of(x, w, p, Ho, Wo);
  std::vector<double> xv = to_vector<double>(x), wv = to_vector<double>(w), y(d.N * d.K * d.Ho * d.Wo, 0);
  if (bias.defined()) {
    std::vector<double> bv = to_vector<double>(bias);
    for (size_t i = 0; i < y.size(); ++i) y[i] = bv[(i / (d.Ho * d.Wo)) % d.K];
  }
  for_each_tap(d, p, [&](auto n, auto k, auto ho, auto wo, auto ci, auto c, auto r, auto s, auto h, auto ww) {
    y[((n * d.K + k) * d.Ho + ho) * d.Wo + wo] +=
        wv[((k * d.Cg + c) * d.R + r) * d.S + s] * xv[((n * d.C + ci) * d.H + h) * d.W + ww];
  });
  return from_vector(y, {d.N, d.K, d.Ho, d.Wo});
}

// d(sum gy * conv2d(x, w))/dx and /dw.
Tensor ref_input_grad(const Tensor& x, const Tensor& w, const Tensor& gy, const Conv2dParams& p) {
  const Dims d = dims_of(x, w, p, gy.size(2), gy.size(3));
  std::vector<double> wv = to_vector<double>(w), gv = to_vector<double>(gy), gx(x.numel(), 0);
  for_each_tap(d, p, [&](auto n, auto k, auto ho, auto wo, auto ci, auto c, auto r, auto s, auto h, auto ww) {
    gx[((n * d.C + ci) * d.H + h) * d.W + ww] +=
        wv[((k * d.Cg + c) * d.R + r) * d.S + s] * gv[((n * d.K + k) * d.Ho + ho) * d.Wo + wo];
  });
  return from_vector(gx, x.shape());
}

Tensor ref_weight_grad(const Tensor& x, const Tensor& w, const Tensor& gy, const Conv2dParams& p) {
  const Dims d = dims_of(x, w, p, gy.size(2), gy.size(3));
  std::vector<double> xv = to_vector<double>(x), gv = to_vector<double>(gy), gw(w.numel(), 0);
  for_each_tap(d, p, [&](auto n, auto k, auto ho, auto wo, auto ci, auto c, auto r, auto s, auto h, auto ww) {
    gw[((k * d.Cg + c) * d.R + r) * d.S + s] +=
        xv[((n * d.C + ci) * d.H + h) * d.W + ww] * gv[((n * d.K + k) * d.Ho + ho) * d.Wo + wo];
  });
  return from_vector(gw, w.shape());
}

// The transposed convolution by its own definition (a scatter): input pixel (h, w) of channel ci
// adds x * w[ci, k, r, s] at output (h*sh - ph + r*dh, w*sw - pw + s*dw) of channel g*Kg + k.
Tensor ref_conv_transpose2d(const Tensor& x, const Tensor& w, const Tensor& bias, const ConvTranspose2dParams& p) {
  const int64_t N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
  const int64_t Kg = w.size(1), R = w.size(2), S = w.size(3), G = p.groups, K = Kg * G, Cg = C / G;
  const int64_t Ho = (H - 1) * p.stride_h - 2 * p.pad_h + p.dilation_h * (R - 1) + p.output_pad_h + 1;
  const int64_t Wo = (W - 1) * p.stride_w - 2 * p.pad_w + p.dilation_w * (S - 1) + p.output_pad_w + 1;
  std::vector<double> xv = to_vector<double>(x), wv = to_vector<double>(w), y(N * K * Ho * Wo, 0);
  if (bias.defined()) {
    std::vector<double> bv = to_vector<double>(bias);
    for (size_t i = 0; i < y.size(); ++i) y[i] = bv[(i / (Ho * Wo)) % K];
  }
  for (int64_t n = 0; n < N; ++n)
    for (int64_t ci = 0; ci < C; ++ci)
      for (int64_t h = 0; h < H; ++h)
        for (int64_t ww = 0; ww < W; ++ww)
          for (int64_t k = 0; k < Kg; ++k)
            for (int64_t r = 0; r < R; ++r)
              for (int64_t s = 0; s < S; ++s) {
                const int64_t oh = h * p.stride_h - p.pad_h + r * p.dilation_h;
                const int64_t ow = ww * p.stride_w - p.pad_w + s * p.dilation_w;
                if (oh < 0 || oh >= Ho || ow < 0 || ow >= Wo) continue;
                const int64_t ko = (ci / Cg) * Kg + k;
                y[((n * K + ko) * Ho + oh) * Wo + ow] +=
                    xv[((n * C + ci) * H + h) * W + ww] * wv[((ci * Kg + k) * R + r) * S + s];
              }
  return from_vector(y, {N, K, Ho, Wo});
}

Conv2dParams asym(int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh, int64_t dw, int64_t groups) {
  Conv2dParams p;
  p.stride_h = sh, p.stride_w = sw, p.pad_h = ph, p.pad_w = pw, p.dilation_h = dh, p.dilation_w = dw;
  p.groups = groups;
  return p;
}

// Every combination the kernels branch on: padding, stride, dilation, groups, depthwise (the CPU's
// direct loops, with and without a channel multiplier), 1x1 (no im2col), non-square everything, and
// edges.
std::vector<ConvCase> conv_cases() {
  return {
      {"3x3 pad 1", {2, 3, 5, 6}, {4, 3, 3, 3}, conv_params(1, 1)},
      {"no padding, odd sizes", {3, 2, 7, 9}, {5, 2, 3, 2}, conv_params(1, 0)},
      {"stride 2 pad 1", {2, 3, 8, 7}, {4, 3, 3, 3}, conv_params(2, 1)},
      {"asymmetric stride, padding, dilation", {2, 3, 9, 11}, {4, 3, 3, 2}, asym(2, 3, 2, 1, 2, 3, 1)},
      {"dilation 2 (atrous)", {1, 2, 9, 8}, {3, 2, 3, 3}, conv_params(1, 2, 2)},
      {"groups 2", {2, 4, 6, 5}, {6, 2, 3, 3}, conv_params(2, 1, 1, 2)},
      {"groups 3, dilation 2, stride 2", {2, 6, 11, 10}, {9, 2, 3, 3}, conv_params(2, 2, 2, 3)},
      {"depthwise", {2, 4, 7, 6}, {4, 1, 3, 3}, conv_params(1, 1, 1, 4)},
      {"depthwise, multiplier 2, stride 2", {2, 3, 7, 8}, {6, 1, 3, 3}, conv_params(2, 1, 1, 3)},
      {"depthwise atrous", {1, 5, 9, 9}, {5, 1, 3, 3}, conv_params(1, 2, 2, 5)},
      // One input channel per group but more outputs than the direct depthwise loops take: GEMMs.
      {"depthwise, multiplier 5", {2, 2, 6, 7}, {10, 1, 3, 3}, conv_params(1, 1, 1, 2)},
      {"single input channel (a grayscale stem)", {3, 1, 8, 8}, {8, 1, 3, 3}, conv_params(1, 1)},
      {"1x1", {2, 5, 4, 3}, {7, 5, 1, 1}, conv_params(1, 0)},
      {"1x1 groups 2", {2, 4, 3, 3}, {6, 2, 1, 1}, conv_params(1, 0, 1, 2)},
      {"1x1 stride 2", {2, 3, 5, 5}, {4, 3, 1, 1}, conv_params(2, 0)},
      {"1x1 padded", {1, 2, 3, 2}, {3, 2, 1, 1}, conv_params(1, 1)},
      {"1x1 input", {2, 3, 1, 1}, {4, 3, 1, 1}, conv_params(1, 0)},
      {"1x1 input, 3x3 kernel pad 1", {2, 3, 1, 1}, {2, 3, 3, 3}, conv_params(1, 1)},
      {"kernel larger than the input, padded", {2, 2, 2, 3}, {3, 2, 5, 5}, conv_params(1, 2)},
      {"stride larger than the kernel", {1, 2, 9, 10}, {3, 2, 2, 2}, conv_params(3, 0)},
      {"7x7 stride 2 pad 3 (a stem)", {1, 3, 15, 13}, {4, 3, 7, 7}, conv_params(2, 3)},
      // More output pixels than one im2col tile: tiles that end mid-row, several per image.
      {"several tiles", {2, 16, 31, 29}, {8, 16, 3, 3}, conv_params(1, 1)},
      {"several tiles, stride 2, groups 2", {1, 16, 61, 45}, {8, 8, 3, 3}, conv_params(2, 1, 1, 2)},
  };
}

Tensor maybe_bias(const ConvCase& c, DType dt, bool with_bias) {
  return with_bias ? test::rand({c.w[0]}, 33, -1, 1, dt) : Tensor();
}

}  // namespace

// --- forward ------------------------------------------------------------------------------------

TEST_CASE("conv2d: forward matches the 7-loop definition (stride, padding, dilation, groups, edges)") {
  for (const auto& c : conv_cases()) {
    for (DType dt : {DType::f32, DType::f64}) {
      for (bool with_bias : {false, true}) {
        INFO(c.name << " " << dtype_name(dt) << (with_bias ? " with bias" : ""));
        Tensor x = test::rand(c.x, 1, -1, 1, dt), w = test::rand(c.w, 2, -1, 1, dt), b = maybe_bias(c, dt, with_bias);
        Tensor y = conv2d(x, w, b, c.p);
        REQUIRE(y.dtype() == dt);
        // float32: sums of up to ~150 products of values in [-1, 1]; float64: rounding only.
        if (dt == DType::f32) REQUIRE_CLOSE(y, ref_conv2d(x, w, b, c.p), 2e-5, 1e-5);
        else REQUIRE_CLOSE(y, ref_conv2d(x, w, b, c.p), 1e-13, 1e-12);
      }
    }
  }
}

TEST_CASE("conv2d: input and weight gradients match the loops, float32 and float64") {
  for (const auto& c : conv_cases()) {
    for (DType dt : {DType::f32, DType::f64}) {
      INFO(c.name << " " << dtype_name(dt));
      Tensor x = test::rand(c.x, 3, -1, 1, dt).set_requires_grad(), w = test::rand(c.w, 4, -1, 1, dt).set_requires_grad();
      Tensor b = test::rand({c.w[0]}, 5, -1, 1, dt).set_requires_grad();
      Tensor y = conv2d(x, w, b, c.p);
      Tensor gy = test::rand(y.shape(), 6, -1, 1, dt);
      sum(mul(y, gy)).backward();
      // The weight gradient sums N*Ho*Wo (up to ~2000) products: a looser float32 bound.
      const double atol = dt == DType::f32 ? 1e-4 : 1e-12, rtol = dt == DType::f32 ? 1e-5 : 1e-12;
      REQUIRE_CLOSE(x.grad(), ref_input_grad(x.detach(), w.detach(), gy, c.p), atol, rtol);
      REQUIRE_CLOSE(w.grad(), ref_weight_grad(x.detach(), w.detach(), gy, c.p), atol, rtol);
      REQUIRE_CLOSE(b.grad(), sum(to(gy, DType::f64), {0, 2, 3}), atol, rtol);
    }
  }
}

TEST_CASE("conv2d: hand-computed cases") {
  Tensor x = from_vector<float>({1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 1, 3, 3});
  // 2x2 box sum.
  REQUIRE(to_vector<float>(conv2d(x, ones({1, 1, 2, 2}), Tensor(), {})) == std::vector<float>{12, 16, 24, 28});
  // Stride 2, pad 1: y[ho, wo] = sum w[r, s] x[2 ho - 1 + r, 2 wo - 1 + s], zeros outside.
  Tensor w = from_vector<float>({1, 2, 3, 4}, {1, 1, 2, 2});
  REQUIRE(to_vector<float>(conv2d(x, w, Tensor(), conv_params(2, 1))) == std::vector<float>{4, 18, 36, 77});
  // Dilation 2: the four corners.
  REQUIRE(to_vector<float>(conv2d(x, ones({1, 1, 2, 2}), Tensor(), conv_params(1, 0, 2))) == std::vector<float>{20});
  // Bias is added once per output value.
  REQUIRE(to_vector<float>(conv2d(x, ones({1, 1, 3, 3}), full({1}, 0.5), {})) == std::vector<float>{45.5});
  // Groups 2: each output channel sees its own input channel.
  Tensor x2 = from_vector<float>({1, 2}, {1, 2, 1, 1}), w2 = from_vector<float>({3, 5}, {2, 1, 1, 1});
  REQUIRE(to_vector<float>(conv2d(x2, w2, Tensor(), conv_params(1, 0, 1, 2))) == std::vector<float>{3, 10});
  // Groups 1: both output channels see both input channels.
  Tensor w3 = from_vector<float>({1, 10, 100, 1000}, {2, 2, 1, 1});
  REQUIRE(to_vector<float>(conv2d(x2, w3, Tensor(), {})) == std::vector<float>{21, 2100});
}

TEST_CASE("conv2d: empty batch, output shapes, conv2d_out_size") {
  Tensor x = zeros({0, 3, 5, 5}).set_requires_grad(), w = test::rand({4, 3, 3, 3}, 7).set_requires_grad();
  Tensor b = test::rand({4}, 8).set_requires_grad();
  Tensor y = conv2d(x, w, b, conv_params(2, 1));
  REQUIRE(y.shape() == Shape{0, 4, 3, 3});
  sum(y).backward();
  REQUIRE(x.grad().shape() == Shape{0, 3, 5, 5});
  REQUIRE(to_vector<float>(w.grad()) == std::vector<float>(4 * 3 * 9, 0.0f));
  REQUIRE(to_vector<float>(b.grad()) == std::vector<float>(4, 0.0f));
  REQUIRE(conv2d(zeros({1, 3, 224, 224}), zeros({64, 3, 7, 7}), Tensor(), conv_params(2, 3)).shape() ==
          Shape{1, 64, 112, 112});
  REQUIRE(conv2d_out_size(56, 3, 1, 1, 1) == 56);
  REQUIRE(conv2d_out_size(224, 7, 2, 3, 1) == 112);
  REQUIRE(conv2d_out_size(7, 3, 2, 0, 1) == 3);
  REQUIRE(conv2d_out_size(9, 3, 1, 0, 4) == 1);  // extent 9
  REQUIRE(conv2d_out_size(1, 5, 1, 2, 1) == 1);
}

TEST_CASE("conv2d: non-contiguous input and weight give the contiguous result") {
  // x as a permuted view of [N, H, C, W] storage, w as a stepped slice.
  Tensor xs = test::rand({2, 6, 3, 7}, 9), ws = test::rand({4, 3, 3, 6}, 10);
  Tensor x = permute(xs, {0, 2, 1, 3}), w = slice(ws, 3, 0, 6, 2);
  REQUIRE_FALSE(x.is_contiguous());
  REQUIRE_FALSE(w.is_contiguous());
  REQUIRE_CLOSE(conv2d(x, w, Tensor(), conv_params(1, 1)), conv2d(contiguous(x), contiguous(w), Tensor(), conv_params(1, 1)), 0,
                0);
  Tensor xl = clone(x).set_requires_grad();
  Tensor y = conv2d(permute(permute(xl, {0, 2, 1, 3}), {0, 2, 1, 3}), w, Tensor(), conv_params(1, 1));
  sum(y).backward();
  REQUIRE(xl.grad().shape() == x.shape());
}

TEST_CASE("conv2d: gradients only for the inputs that require them") {
  Tensor x = test::rand({1, 2, 4, 4}, 11), w = test::rand({3, 2, 3, 3}, 12).set_requires_grad();
  Tensor b = test::rand({3}, 13);
  sum(conv2d(x, w, b, conv_params(1, 1))).backward();
  REQUIRE(w.grad().defined());
  REQUIRE_FALSE(x.grad().defined());
  REQUIRE_FALSE(b.grad().defined());
  REQUIRE_FALSE(conv2d(x, w.detach(), b, {}).requires_grad());
  NoGradGuard no_grad;
  REQUIRE_FALSE(conv2d(x, w, b, {}).requires_grad());
}

// --- gradchecks ---------------------------------------------------------------------------------

TEST_CASE("conv2d: float64 finite-difference gradients of x, w and bias") {
  const std::vector<ConvCase> cases = {
      {"stride 2 pad 1", {2, 2, 5, 4}, {3, 2, 3, 2}, conv_params(2, 1)},
      {"dilation 2, groups 2", {1, 4, 6, 5}, {4, 2, 2, 3}, asym(1, 2, 1, 2, 2, 1, 2)},
      {"depthwise", {2, 3, 4, 4}, {3, 1, 3, 3}, conv_params(1, 1, 1, 3)},
      {"1x1", {2, 3, 3, 2}, {2, 3, 1, 1}, conv_params(1, 0)},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    Tensor x = test::rand(c.x, 14, -1, 1, DType::f64).set_requires_grad();
    Tensor w = test::rand(c.w, 15, -1, 1, DType::f64).set_requires_grad();
    Tensor b = test::rand({c.w[0]}, 16, -1, 1, DType::f64).set_requires_grad();
    REQUIRE_GRADCHECK([&](const std::vector<Tensor>& in) { return conv2d(in[0], in[1], in[2], c.p); }, {x, w, b});
  }
}

// --- conv_transpose2d ---------------------------------------------------------------------------

namespace {

ConvTranspose2dParams tparams(int64_t stride, int64_t pad, int64_t out_pad, int64_t dilation = 1, int64_t groups = 1) {
  ConvTranspose2dParams p;
  p.stride_h = p.stride_w = stride;
  p.pad_h = p.pad_w = pad;
  p.output_pad_h = p.output_pad_w = out_pad;
  p.dilation_h = p.dilation_w = dilation;
  p.groups = groups;
  return p;
}

struct TCase {
  std::string name;
  Shape x, w;
  ConvTranspose2dParams p;
};

std::vector<TCase> transpose_cases() {
  ConvTranspose2dParams mixed = tparams(2, 1, 0);
  mixed.stride_w = 3, mixed.pad_w = 0, mixed.output_pad_h = 1, mixed.output_pad_w = 2, mixed.dilation_w = 2;
  ConvTranspose2dParams dil_outpad = tparams(1, 1, 1, 2);  // output padding < dilation with stride 1
  return {
      {"stride 1", {2, 3, 4, 5}, {3, 2, 3, 3}, tparams(1, 0, 0)},
      {"stride 2 pad 1 output_pad 1", {2, 3, 4, 3}, {3, 4, 3, 3}, tparams(2, 1, 1)},
      {"mixed per-axis parameters", {1, 2, 3, 4}, {2, 3, 3, 2}, mixed},
      {"dilation 2, output_pad < dilation", {1, 2, 4, 4}, {2, 2, 3, 3}, dil_outpad},
      {"groups 2", {2, 4, 3, 3}, {4, 3, 2, 2}, tparams(2, 0, 1, 1, 2)},
      {"depthwise", {1, 3, 4, 3}, {3, 1, 3, 3}, tparams(2, 1, 0, 1, 3)},
      {"1x1", {2, 3, 3, 3}, {3, 5, 1, 1}, tparams(1, 0, 0)},
      {"1x1 input", {2, 3, 1, 1}, {3, 2, 3, 3}, tparams(2, 0, 0)},
      {"several tiles", {1, 8, 23, 21}, {8, 16, 4, 4}, tparams(2, 1, 0)},
  };
}

}  // namespace

TEST_CASE("conv_transpose2d: forward matches its scatter definition") {
  for (const auto& c : transpose_cases()) {
    for (DType dt : {DType::f32, DType::f64}) {
      for (bool with_bias : {false, true}) {
        INFO(c.name << " " << dtype_name(dt) << (with_bias ? " with bias" : ""));
        Tensor x = test::rand(c.x, 17, -1, 1, dt), w = test::rand(c.w, 18, -1, 1, dt);
        Tensor b = with_bias ? test::rand({c.w[1] * c.p.groups}, 19, -1, 1, dt) : Tensor();
        Tensor y = conv_transpose2d(x, w, b, c.p);
        if (dt == DType::f32) REQUIRE_CLOSE(y, ref_conv_transpose2d(x, w, b, c.p), 2e-5, 1e-5);
        else REQUIRE_CLOSE(y, ref_conv_transpose2d(x, w, b, c.p), 1e-13, 1e-12);
      }
    }
  }
}

TEST_CASE("conv_transpose2d: hand-computed cases and the adjoint of conv2d") {
  Tensor x = from_vector<float>({1, 2, 3, 4}, {1, 1, 2, 2});
  // Stride 1: every input pixel stamps the 2x2 kernel of ones at its position.
  REQUIRE(to_vector<float>(conv_transpose2d(x, ones({1, 1, 2, 2}), Tensor(), {})) ==
          std::vector<float>{1, 3, 2, 4, 10, 6, 3, 7, 4});
  // Stride 2: the stamps tile the output without overlap.
  REQUIRE(to_vector<float>(conv_transpose2d(x, ones({1, 1, 2, 2}), full({1}, 0.5), tparams(2, 0, 0))) ==
          std::vector<float>{1.5, 1.5, 2.5, 2.5, 1.5, 1.5, 2.5, 2.5, 3.5, 3.5, 4.5, 4.5, 3.5, 3.5, 4.5, 4.5});
  // <conv2d(a, w), b> == <a, conv_transpose2d(b, w)> for the same parameters and groups.
  Tensor a = test::rand({2, 4, 9, 8}, 20, -1, 1, DType::f64), w = test::rand({6, 2, 3, 3}, 21, -1, 1, DType::f64);
  Conv2dParams p = conv_params(2, 1, 2, 2);
  Tensor y = conv2d(a, w, Tensor(), p);
  Tensor b = test::rand(y.shape(), 22, -1, 1, DType::f64);
  ConvTranspose2dParams tp = tparams(2, 1, 0, 2, 2);
  tp.output_pad_h = a.size(2) - ((y.size(2) - 1) * 2 - 2 + 2 * 2 + 1);
  tp.output_pad_w = a.size(3) - ((y.size(3) - 1) * 2 - 2 + 2 * 2 + 1);
  Tensor at = conv_transpose2d(b, w, Tensor(), tp);
  REQUIRE(at.shape() == a.shape());
  REQUIRE(item<double>(sum(mul(y, b))) == Approx(item<double>(sum(mul(a, at)))).epsilon(1e-12));
}

TEST_CASE("conv_transpose2d: gradients match loops and finite differences") {
  for (const auto& c : transpose_cases()) {
    INFO(c.name);
    // Against the adjoint definition: conv_transpose2d's dx is conv2d with the same weight, its dw
    // is conv2d's weight gradient with x and gy swapped.
    Tensor x = test::rand(c.x, 23, -1, 1, DType::f64).set_requires_grad();
    Tensor w = test::rand(c.w, 24, -1, 1, DType::f64).set_requires_grad();
    Tensor y = conv_transpose2d(x, w, Tensor(), c.p);
    Tensor gy = test::rand(y.shape(), 25, -1, 1, DType::f64);
    sum(mul(y, gy)).backward();
    Conv2dParams p = asym(c.p.stride_h, c.p.stride_w, c.p.pad_h, c.p.pad_w, c.p.dilation_h, c.p.dilation_w,
                          c.p.groups);
    REQUIRE_CLOSE(x.grad(), ref_conv2d(gy, w.detach(), Tensor(), p, c.x[2], c.x[3]), 1e-12, 1e-12);
    REQUIRE_CLOSE(w.grad(), ref_weight_grad(gy, w.detach(), x.detach(), p), 1e-12, 1e-12);
  }
  for (const auto& c : {transpose_cases()[1], transpose_cases()[2], transpose_cases()[3], transpose_cases()[4],
                        transpose_cases()[5]}) {
    INFO("gradcheck " << c.name);
    Tensor x = test::rand(c.x, 26, -1, 1, DType::f64).set_requires_grad();
    Tensor w = test::rand(c.w, 27, -1, 1, DType::f64).set_requires_grad();
    Tensor b = test::rand({c.w[1] * c.p.groups}, 28, -1, 1, DType::f64).set_requires_grad();
    REQUIRE_GRADCHECK([&](const std::vector<Tensor>& in) { return conv_transpose2d(in[0], in[1], in[2], c.p); },
                      {x, w, b});
  }
}

// --- errors -------------------------------------------------------------------------------------

TEST_CASE("conv2d and conv_transpose2d: errors name the op and the shapes") {
  Tensor x = zeros({2, 4, 5, 5}), w = zeros({6, 4, 3, 3});
  using Catch::Contains;
  REQUIRE_THROWS_WITH(conv2d(zeros({4, 5, 5}), w, Tensor(), {}), Contains("conv2d: input must be 4-D") &&
                                                                      Contains("[4, 5, 5]"));
  REQUIRE_THROWS_WITH(conv2d(x, zeros({6, 4, 3}), Tensor(), {}), Contains("conv2d: weight must be 4-D"));
  REQUIRE_THROWS_WITH(conv2d(x, zeros({6, 3, 3, 3}), Tensor(), {}),
                      Contains("conv2d: channel mismatch: weight [6, 3, 3, 3]") && Contains("[2, 4, 5, 5] has C = 4"));
  REQUIRE_THROWS_WITH(conv2d(x, zeros({6, 1, 3, 3}), Tensor(), conv_params(1, 0, 1, 3)),
                      Contains("conv2d: groups = 3 must divide the input channels C = 4"));
  REQUIRE_THROWS_WITH(conv2d(x, zeros({6, 1, 3, 3}), Tensor(), conv_params(1, 0, 1, 4)),
                      Contains("conv2d: groups = 4 must divide the output channels K = 6"));
  REQUIRE_THROWS_WITH(conv2d(x, zeros({6, 4, 7, 7}), Tensor(), {}),
                      Contains("conv2d: input [2, 4, 5, 5]") && Contains("smaller than weight [6, 4, 7, 7]"));
  REQUIRE_THROWS_WITH(conv2d(x, zeros({6, 4, 3, 3}), Tensor(), conv_params(1, 0, 3)), Contains("output size would be"));
  REQUIRE_THROWS_WITH(conv2d(x, zeros({6, 4, 3, 3}, DType::f64), Tensor(), {}), Contains("conv2d: dtype mismatch"));
  REQUIRE_THROWS_WITH(conv2d(zeros({2, 4, 5, 5}, DType::i32), zeros({6, 4, 3, 3}, DType::i32), Tensor(), {}),
                      Contains("conv2d: expected a float32 or float64 tensor"));
  REQUIRE_THROWS_WITH(conv2d(x, w, zeros({5}), {}), Contains("conv2d: bias must be [6]") && Contains("got [5]"));
  REQUIRE_THROWS_WITH(conv2d(x, w, Tensor(), conv_params(0, 0)), Contains("conv2d: stride must be positive"));
  REQUIRE_THROWS_WITH(conv2d(x, w, Tensor(), conv_params(1, -1)), Contains("conv2d: padding must be non-negative"));
  REQUIRE_THROWS_WITH(conv2d(x, w, Tensor(), conv_params(1, 0, 0)), Contains("conv2d: dilation must be positive"));
  REQUIRE_THROWS_WITH(conv2d(x, w, Tensor(), conv_params(1, 0, 1, 0)), Contains("conv2d: groups must be positive"));
  REQUIRE_THROWS_WITH(conv2d(x, Tensor(), Tensor(), {}), Contains("conv2d: argument 1 is an undefined tensor"));

  Tensor wt = zeros({4, 3, 3, 3});  // conv_transpose2d: [C, K/groups, R, S]
  REQUIRE_THROWS_WITH(conv_transpose2d(zeros({2, 5, 3, 3}), wt, Tensor(), {}),
                      Contains("conv_transpose2d: channel mismatch: weight [4, 3, 3, 3]") &&
                          Contains("input [2, 5, 3, 3] has C = 5"));
  REQUIRE_THROWS_WITH(conv_transpose2d(zeros({2, 4, 3, 3}), wt, Tensor(), tparams(1, 0, 0, 1, 3)),
                      Contains("conv_transpose2d: groups = 3 must divide the input channels C = 4"));
  REQUIRE_THROWS_WITH(conv_transpose2d(zeros({2, 4, 3, 3}), wt, Tensor(), tparams(2, 0, 2)),
                      Contains("conv_transpose2d: output padding (2, 2) must be smaller than either stride (2, 2)"));
  REQUIRE_THROWS_WITH(conv_transpose2d(zeros({2, 4, 1, 1}), wt, Tensor(), tparams(1, 2, 0)),
                      Contains("conv_transpose2d: input [2, 4, 1, 1]") && Contains("which must be positive"));
  REQUIRE_THROWS_WITH(conv_transpose2d(zeros({2, 4, 3, 3}), wt, zeros({4}), tparams(1, 0, 0, 1, 2)),
                      Contains("conv_transpose2d: bias must be [6]"));
  REQUIRE_THROWS_WITH(conv2d_out_size(2, 5, 1, 1, 1), Contains("conv2d_out_size: input size 2 (padded to 4)") &&
                                                          Contains("smaller than kernel 5"));
  REQUIRE_THROWS_WITH(conv2d_out_size(8, 3, 0, 1, 1), Contains("conv2d_out_size: kernel 3, stride 0"));
}

// --- the CUDA kernels' index math, run on the CPU -----------------------------------------------

namespace {

// C_z[m, n] = sum_k a(z, m, k) b(z, k, n) over each split's depth range, stored by the problem: what
// conv_cuda.cu's tiled kernel computes, as a plain loop.
template <class Problem>
void run_implicit_gemm(const Problem& prob, int64_t batch, int splits) {
  const int64_t depth = prob.depth(), len = (depth + splits - 1) / splits;
  for (int64_t z = 0; z < batch; ++z) {
    const auto e = prob.entry(z);
    for (int split = 0; split < splits; ++split)
      for (int m = 0; m < prob.rows(); ++m)
        for (int n = 0; n < prob.cols(); ++n) {
          double acc = 0;
          for (int64_t k = split * len; k < std::min(depth, (split + 1) * len); ++k)
            acc += prob.a(e, m, static_cast<int>(k)) * prob.b(e, static_cast<int>(k), n);
          prob.store(e, split, m, n, acc);
        }
  }
}

}  // namespace

TEST_CASE("conv: the implicit-GEMM problems of the CUDA kernels reproduce conv2d and its gradients") {
  for (const auto& c : conv_cases()) {
    INFO(c.name);
    Tensor x = test::rand(c.x, 29, -1, 1, DType::f64).set_requires_grad();
    Tensor w = test::rand(c.w, 30, -1, 1, DType::f64).set_requires_grad();
    Tensor b = test::rand({c.w[0]}, 31, -1, 1, DType::f64);
    Tensor y = conv2d(x, w, b, c.p);
    Tensor gy = test::rand(y.shape(), 32, -1, 1, DType::f64);
    sum(mul(y, gy)).backward();

    ConvGeom g;
    g.N = c.x[0], g.C = c.x[1], g.H = c.x[2], g.W = c.x[3], g.K = c.w[0], g.R = c.w[2], g.S = c.w[3];
    g.Ho = y.size(2), g.Wo = y.size(3);
    g.sh = c.p.stride_h, g.sw = c.p.stride_w, g.ph = c.p.pad_h, g.pw = c.p.pad_w;
    g.dh = c.p.dilation_h, g.dw = c.p.dilation_w, g.G = c.p.groups;
    REQUIRE(conv_idx_fits(g));
    const ConvIdx d = conv_idx(g);
    const double *xp = x.detach().data<double>(), *wp = w.detach().data<double>(), *gyp = gy.data<double>();

    Tensor y2 = zeros(y.shape(), DType::f64);
    run_implicit_gemm(ConvFwdProblem<double>{d, xp, wp, b.data<double>(), y2.data<double>()}, g.N * g.G, 1);
    REQUIRE_CLOSE(y2, y, 1e-12, 1e-12);

    Tensor gx = zeros(x.shape(), DType::f64);
    run_implicit_gemm(ConvDgradProblem<double>{d, gyp, wp, nullptr, gx.data<double>()}, g.N * g.G, 1);
    REQUIRE_CLOSE(gx, x.grad(), 1e-12, 1e-12);

    // Split over the depth (N*Ho*Wo) into 3 partial results, summed afterwards.
    Tensor parts = zeros({3, w.numel()}, DType::f64);
    run_implicit_gemm(ConvWgradProblem<double>{d, xp, gyp, parts.data<double>(), static_cast<int>(g.N)}, g.G, 3);
    REQUIRE_CLOSE(reshape(sum(parts, {0}), w.shape()), w.grad(), 1e-12, 1e-12);
  }
}
