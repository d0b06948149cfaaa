// conv2d and conv_transpose2d by hand: hand-computed cases, the adjoint identity, both gradients
// against the loops of the definitions over the case table's rows, empty batches, non-contiguous
// operands, errors, and the implicit-GEMM index math of the CUDA kernels run on the CPU. The forward
// against the loops, the float64 finite differences, PyTorch's numbers and CUDA parity come from the
// case table, conv_cases.cpp.
#include <catch2/catch.hpp>

#include <functional>
#include <string>

#include "kernels/conv/conv_math.h"
#include "tests/helpers.h"
#include "tests/kernels/conv/conv_reference.h"
#include "tests/op_cases.h"

using namespace oc;
using test::conv_params;
using test::tconv_params;

namespace {

// The rows of the case table that hold a forward check (the small shapes) of `op`.
std::vector<test::OpCase> checked_rows(const std::string& op) {
  std::vector<test::OpCase> v;
  for (const test::OpCase& c : test::op_cases_of(op))
    if (c.reference) v.push_back(c);
  return v;
}

// A row's stride, padding, dilation and groups, as the table printed them.
Conv2dParams conv_params_of(const test::OpCase& c) {
  const auto& j = c.params;
  return conv_params(j["stride"][0], j["stride"][1], j["pad"][0], j["pad"][1], j["dilation"][0], j["dilation"][1],
                     j["groups"]);
}

}  // namespace

// --- conv2d ------------------------------------------------------------------------------------

TEST_CASE("conv2d: input, weight and bias gradients match the loops over the table's rows, float32 and float64") {
  for (const test::OpCase& c : checked_rows("conv2d")) {
    if (c.shapes.size() < 3) continue;  // with bias
    const Conv2dParams p = conv_params_of(c);
    for (DType dt : {DType::f32, DType::f64}) {
      INFO(c.name() << " " << dtype_name(dt));
      std::vector<Tensor> in = c.make_inputs(dt);
      for (Tensor& t : in) t.set_requires_grad();
      Tensor y = conv2d(in[0], in[1], in[2], p);
      Tensor gy = test::rand(y.shape(), 6, -1, 1, dt);
      sum(mul(y, gy)).backward();
      // The weight gradient sums N*Ho*Wo (up to ~2000) products: a looser float32 bound.
      const double atol = dt == DType::f32 ? 1e-4 : 1e-12, rtol = dt == DType::f32 ? 1e-5 : 1e-12;
      REQUIRE_CLOSE(in[0].grad(), test::ref_conv2d_input_grad(in[0].detach(), in[1].detach(), gy, p), atol, rtol);
      REQUIRE_CLOSE(in[1].grad(), test::ref_conv2d_weight_grad(in[0].detach(), in[1].detach(), gy, p), atol, rtol);
      REQUIRE_CLOSE(in[2].grad(), sum(to(gy, DType::f64), {0, 2, 3}), atol, rtol);
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

// --- conv_transpose2d ---------------------------------------------------------------------------

TEST_CASE("conv_transpose2d: hand-computed cases and the adjoint of conv2d") {
  Tensor x = from_vector<float>({1, 2, 3, 4}, {1, 1, 2, 2});
  // Stride 1: every input pixel stamps the 2x2 kernel of ones at its position.
  REQUIRE(to_vector<float>(conv_transpose2d(x, ones({1, 1, 2, 2}), Tensor(), {})) ==
          std::vector<float>{1, 3, 2, 4, 10, 6, 3, 7, 4});
  // Stride 2: the stamps tile the output without overlap.
  REQUIRE(to_vector<float>(conv_transpose2d(x, ones({1, 1, 2, 2}), full({1}, 0.5), tconv_params(2, 0, 0))) ==
          std::vector<float>{1.5, 1.5, 2.5, 2.5, 1.5, 1.5, 2.5, 2.5, 3.5, 3.5, 4.5, 4.5, 3.5, 3.5, 4.5, 4.5});
  // <conv2d(a, w), b> == <a, conv_transpose2d(b, w)> for the same parameters and groups.
  Tensor a = test::rand({2, 4, 9, 8}, 20, -1, 1, DType::f64), w = test::rand({6, 2, 3, 3}, 21, -1, 1, DType::f64);
  Conv2dParams p = conv_params(2, 1, 2, 2);
  Tensor y = conv2d(a, w, Tensor(), p);
  Tensor b = test::rand(y.shape(), 22, -1, 1, DType::f64);
  ConvTranspose2dParams tp = tconv_params(2, 1, 0, 2, 2);
  tp.output_pad_h = a.size(2) - ((y.size(2) - 1) * 2 - 2 + 2 * 2 + 1);
  tp.output_pad_w = a.size(3) - ((y.size(3) - 1) * 2 - 2 + 2 * 2 + 1);
  Tensor at = conv_transpose2d(b, w, Tensor(), tp);
  REQUIRE(at.shape() == a.shape());
  REQUIRE(item<double>(sum(mul(y, b))) == Approx(item<double>(sum(mul(a, at)))).epsilon(1e-12));
}

TEST_CASE("conv_transpose2d: gradients match the adjoint loops over the table's rows") {
  for (const test::OpCase& c : checked_rows("conv_transpose2d")) {
    INFO(c.name());
    // conv_transpose2d's dx is conv2d with the same weight, its dw is conv2d's weight gradient with
    // x and gy swapped.
    const Conv2dParams p = conv_params_of(c);
    ConvTranspose2dParams tp;
    tp.stride_h = p.stride_h, tp.stride_w = p.stride_w, tp.pad_h = p.pad_h, tp.pad_w = p.pad_w;
    tp.output_pad_h = c.params["output_pad"][0], tp.output_pad_w = c.params["output_pad"][1];
    tp.dilation_h = p.dilation_h, tp.dilation_w = p.dilation_w, tp.groups = p.groups;
    std::vector<Tensor> in = c.make_inputs(DType::f64);
    Tensor x = in[0].set_requires_grad(), w = in[1].set_requires_grad();
    Tensor y = conv_transpose2d(x, w, Tensor(), tp);
    Tensor gy = test::rand(y.shape(), 25, -1, 1, DType::f64);
    sum(mul(y, gy)).backward();
    REQUIRE_CLOSE(x.grad(), test::ref_conv2d(gy, w.detach(), Tensor(), p, x.size(2), x.size(3)), 1e-12, 1e-12);
    REQUIRE_CLOSE(w.grad(), test::ref_conv2d_weight_grad(gy, w.detach(), x.detach(), p), 1e-12, 1e-12);
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
  REQUIRE_THROWS_WITH(conv_transpose2d(zeros({2, 4, 3, 3}), wt, Tensor(), tconv_params(1, 0, 0, 1, 3)),
                      Contains("conv_transpose2d: groups = 3 must divide the input channels C = 4"));
  REQUIRE_THROWS_WITH(conv_transpose2d(zeros({2, 4, 3, 3}), wt, Tensor(), tconv_params(2, 0, 2)),
                      Contains("conv_transpose2d: output padding (2, 2) must be smaller than either stride (2, 2)"));
  REQUIRE_THROWS_WITH(conv_transpose2d(zeros({2, 4, 1, 1}), wt, Tensor(), tconv_params(1, 2, 0)),
                      Contains("conv_transpose2d: input [2, 4, 1, 1]") && Contains("which must be positive"));
  REQUIRE_THROWS_WITH(conv_transpose2d(zeros({2, 4, 3, 3}), wt, zeros({4}), tconv_params(1, 0, 0, 1, 2)),
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
  for (const test::OpCase& row : checked_rows("conv2d")) {
    if (row.shapes.size() < 3) continue;  // with bias
    INFO(row.name());
    const struct {
      Shape x, w;
      Conv2dParams p;
    } c{row.shapes[0], row.shapes[1], conv_params_of(row)};
    std::vector<Tensor> in = row.make_inputs(DType::f64);
    Tensor x = in[0].set_requires_grad(), w = in[1].set_requires_grad(), b = in[2];
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
