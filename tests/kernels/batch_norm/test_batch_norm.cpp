// Batch norm by hand: training and eval against double loops, the running-statistics update,
// buffers without gradients, numerical soundness, edge shapes, strided parameters and errors. The
// forward against the formula over many configurations, the float64 gradients, PyTorch's numbers and
// CUDA parity come from the case table, batch_norm_cases.cpp.
#include <catch2/catch.hpp>

#include <cmath>

#include "tests/helpers.h"

using namespace oc;

namespace {

// Per-channel mean and biased variance of a [N, C, S] float64 tensor, by loops.
void ref_stats(const std::vector<double>& x, int64_t N, int64_t C, int64_t S, std::vector<double>* mean,
               std::vector<double>* var) {
  mean->assign(C, 0);
  var->assign(C, 0);
  const double n = static_cast<double>(N * S);
  for (int64_t c = 0; c < C; ++c) {
    for (int64_t i = 0; i < N; ++i)
      for (int64_t s = 0; s < S; ++s) (*mean)[c] += x[(i * C + c) * S + s] / n;
    for (int64_t i = 0; i < N; ++i)
      for (int64_t s = 0; s < S; ++s) (*var)[c] += std::pow(x[(i * C + c) * S + s] - (*mean)[c], 2) / n;
  }
}

// (x - mean[c]) / sqrt(var[c] + eps) * w[c] + b[c] over [N, C, S].
std::vector<double> ref_normalize(const std::vector<double>& x, int64_t N, int64_t C, int64_t S,
                                  const std::vector<double>& mean, const std::vector<double>& var,
                                  const std::vector<double>& w, const std::vector<double>& b, double eps) {
  std::vector<double> y(x.size());
  for (int64_t i = 0; i < N; ++i)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t s = 0; s < S; ++s) {
        const int64_t k = (i * C + c) * S + s;
        y[k] = (x[k] - mean[c]) / std::sqrt(var[c] + eps) * w[c] + b[c];
      }
  return y;
}

std::vector<double> vec(const Tensor& t) { return to_vector<double>(t); }

}  // namespace

TEST_CASE("batch_norm: training normalizes with batch statistics and updates the running buffers") {
  const int64_t N = 3, C = 4, H = 2, W = 3, S = H * W;
  Tensor x = test::rand({N, C, H, W}, 21, -2, 3, DType::f64);
  Tensor w = test::rand({C}, 22, 0.5, 1.5, DType::f64), b = test::rand({C}, 23, -1, 1, DType::f64);
  Tensor rm = test::rand({C}, 24, -0.5, 0.5, DType::f64), rv = test::rand({C}, 25, 0.5, 2, DType::f64);
  const std::vector<double> rm0 = vec(rm), rv0 = vec(rv);
  std::vector<double> mu, sig2;
  ref_stats(vec(x), N, C, S, &mu, &sig2);
  for (double momentum : {0.1, 0.3}) {
    INFO("momentum " << momentum);
    copy_(rm, from_vector(rm0, {C}));
    copy_(rv, from_vector(rv0, {C}));
    Tensor y = batch_norm(x, w, b, rm, rv, true, momentum, 1e-5);
    REQUIRE_CLOSE(y, from_vector(ref_normalize(vec(x), N, C, S, mu, sig2, vec(w), vec(b), 1e-5), x.shape()), 1e-14,
                  1e-12);
    std::vector<double> want_rm(C), want_rv(C);
    for (int64_t c = 0; c < C; ++c) {
      want_rm[c] = (1 - momentum) * rm0[c] + momentum * mu[c];
      want_rv[c] = (1 - momentum) * rv0[c] + momentum * sig2[c] * (N * S) / (N * S - 1.0);  // unbiased
    }
    REQUIRE_CLOSE(rm, from_vector(want_rm, {C}), 1e-15, 1e-13);
    REQUIRE_CLOSE(rv, from_vector(want_rv, {C}), 1e-15, 1e-13);
  }
}

TEST_CASE("batch_norm: eval normalizes with the running statistics and leaves them alone") {
  const int64_t N = 2, C = 3;
  Tensor x = test::rand({N, C, 4, 1}, 26, -2, 2, DType::f64);
  Tensor w = test::rand({C}, 27, 0.5, 1.5, DType::f64), b = test::rand({C}, 28, -1, 1, DType::f64);
  Tensor rm = test::rand({C}, 29, -0.5, 0.5, DType::f64), rv = test::rand({C}, 30, 0.5, 2, DType::f64);
  const std::vector<double> rm0 = vec(rm), rv0 = vec(rv);
  Tensor y = batch_norm(x, w, b, rm, rv, false, 0.1, 1e-3);
  REQUIRE_CLOSE(y, from_vector(ref_normalize(vec(x), N, C, 4, rm0, rv0, vec(w), vec(b), 1e-3), x.shape()), 1e-14, 1e-12);
  REQUIRE(vec(rm) == rm0);
  REQUIRE(vec(rv) == rv0);
  // Train, then eval: differs from the training output (batch vs running statistics).
  Tensor yt = batch_norm(x, w, b, rm, rv, true);
  REQUIRE(!test::all_close(yt, y, 1e-3, 0).ok);
}

TEST_CASE("batch_norm: no affine, no running statistics, [N, C] input, float32") {
  const int64_t N = 5, C = 3;
  Tensor x = test::rand({N, C}, 31, -1, 2, DType::f64);
  std::vector<double> mu, sig2;
  ref_stats(vec(x), N, C, 1, &mu, &sig2);
  const std::vector<double> one(C, 1), zero(C, 0);
  Tensor want = from_vector(ref_normalize(vec(x), N, C, 1, mu, sig2, one, zero, 1e-5), {N, C});
  // Without running statistics, eval mode also uses the batch.
  REQUIRE_CLOSE(batch_norm(x, Tensor(), Tensor(), Tensor(), Tensor(), true), want, 1e-14, 1e-12);
  REQUIRE_CLOSE(batch_norm(x, Tensor(), Tensor(), Tensor(), Tensor(), false), want, 1e-14, 1e-12);
  // float32 agrees with the double reference to float precision.
  REQUIRE_CLOSE(batch_norm(to(x, DType::f32), Tensor(), Tensor(), Tensor(), Tensor(), true), want, 1e-5, 1e-5);
  // The output has zero mean and unit (biased) variance per channel.
  Tensor y = batch_norm(x, Tensor(), Tensor(), Tensor(), Tensor(), true, 0.1, 0);
  REQUIRE_CLOSE(mean(y, {0}), zeros({C}, DType::f64), 1e-14, 0);
  REQUIRE_CLOSE(var(y, {0}, 0), ones({C}, DType::f64), 1e-13, 0);
}

TEST_CASE("batch_norm: a gradient to weight and bias alone (x not requiring grad)") {
  Tensor x = test::rand({4, 3}, 37, -1, 1, DType::f64);
  Tensor w = test::rand({3}, 33, 0.5, 1.5, DType::f64).set_requires_grad();
  Tensor b = test::rand({3}, 34, -1, 1, DType::f64).set_requires_grad();
  REQUIRE_GRADCHECK([](const std::vector<Tensor>& in) { return batch_norm(in[0], in[1], in[2], {}, {}, true); },
                    {x, w, b});
}

TEST_CASE("batch_norm: the running buffers are not recorded and get no gradient") {
  Tensor x = test::rand({4, 2}, 38, -1, 1, DType::f64).set_requires_grad();
  Tensor rm = zeros({2}, DType::f64), rv = ones({2}, DType::f64);
  for (bool training : {true, false}) {
    Tensor y = batch_norm(x, Tensor(), Tensor(), rm, rv, training);
    REQUIRE(y.requires_grad());
    REQUIRE(y.grad_fn()->next.size() == 3);  // x, weight, bias
    sum(mul(y, y)).backward();
    REQUIRE(!rm.grad().defined());
    REQUIRE(!rm.requires_grad());
  }
  // Without any input requiring grad nothing is recorded.
  REQUIRE(!batch_norm(x.detach(), Tensor(), Tensor(), rm, rv, true).requires_grad());
  Tensor rg = zeros({2}, DType::f64).set_requires_grad();
  REQUIRE_THROWS_WITH(batch_norm(x, Tensor(), Tensor(), rg, rv, true),
                      Catch::Contains("batch_norm: the running statistics") && Catch::Contains("must not require grad"));
}

TEST_CASE("batch_norm: sound on data with a large mean, float32") {
  // 1000 + noise: a one-pass E[x^2] - E[x]^2 in float would lose all digits of the variance.
  Tensor noise = test::rand({8, 2, 5, 5}, 39, -1, 1, DType::f64);
  Tensor x64 = add(noise, 1000.0);
  Tensor x = to(x64, DType::f32);
  Tensor want = batch_norm(to(x, DType::f64), Tensor(), Tensor(), Tensor(), Tensor(), true);
  REQUIRE_CLOSE(batch_norm(x, Tensor(), Tensor(), Tensor(), Tensor(), true), want, 1e-4, 1e-4);
  // The gradient too: compare with float64 on the same (float-rounded) data.
  Tensor xf = x.detach().set_requires_grad(), xd = to(x, DType::f64).set_requires_grad();
  Tensor w = test::rand({8, 2, 5, 5}, 40, 0.5, 1.5, DType::f64);
  sum(mul(batch_norm(xf, Tensor(), Tensor(), Tensor(), Tensor(), true), to(w, DType::f32))).backward();
  sum(mul(batch_norm(xd, Tensor(), Tensor(), Tensor(), Tensor(), true), w)).backward();
  REQUIRE_CLOSE(xf.grad(), xd.grad(), 1e-4, 1e-4);
}

TEST_CASE("batch_norm: edge shapes: empty batch, one value per channel, non-contiguous input") {
  Tensor rm = zeros({3}, DType::f64), rv = ones({3}, DType::f64);
  Tensor e = zeros({0, 3, 2, 2}, DType::f64).set_requires_grad();
  Tensor w = ones({3}, DType::f64).set_requires_grad();
  Tensor y = batch_norm(e, w, Tensor(), rm, rv, true);
  REQUIRE(y.shape() == Shape{0, 3, 2, 2});
  REQUIRE(vec(rm) == std::vector<double>{0, 0, 0});  // nothing learned from an empty batch
  REQUIRE(vec(rv) == std::vector<double>{1, 1, 1});
  sum(y).backward();
  REQUIRE(e.grad().shape() == e.shape());
  REQUIRE(vec(w.grad()) == std::vector<double>{0, 0, 0});
  REQUIRE(batch_norm(e, Tensor(), Tensor(), rm, rv, false).shape() == e.shape());

  // One value per channel: batch statistics are meaningless (PyTorch refuses too); eval is fine.
  Tensor single = test::rand({1, 3}, 41, -1, 1, DType::f64);
  REQUIRE_THROWS_WITH(batch_norm(single, Tensor(), Tensor(), rm, rv, true),
                      Catch::Contains("batch_norm: expected more than 1 value per channel") &&
                          Catch::Contains("[1, 3]"));
  REQUIRE(batch_norm(single, Tensor(), Tensor(), rm, rv, false).shape() == Shape{1, 3});
  // 1x1 spatial with a batch of 2 is fine.
  REQUIRE(batch_norm(test::rand({2, 3, 1, 1}, 42, -1, 1, DType::f64), Tensor(), Tensor(), rm, rv, true).shape() ==
          Shape{2, 3, 1, 1});

  // Non-contiguous: NHWC storage seen as NCHW.
  Tensor nhwc = test::rand({2, 3, 4, 3}, 43, -1, 1, DType::f64);
  Tensor view = permute(nhwc, {0, 3, 1, 2});
  Tensor ra = zeros({3}, DType::f64), rb = zeros({3}, DType::f64);
  Tensor va = ones({3}, DType::f64), vb = ones({3}, DType::f64);
  REQUIRE_CLOSE(batch_norm(view, Tensor(), Tensor(), ra, va, true),
                batch_norm(contiguous(view), Tensor(), Tensor(), rb, vb, true), 0, 0);
  REQUIRE(vec(ra) == vec(rb));
  Tensor leaf = nhwc.detach().set_requires_grad();
  REQUIRE_GRADCHECK(
      [](const std::vector<Tensor>& in) {
        return batch_norm(permute(in[0], {0, 3, 1, 2}), Tensor(), Tensor(), Tensor(), Tensor(), true);
      },
      {leaf});
}

TEST_CASE("batch_norm: strided weight, bias and running statistics") {
  // Every other element of longer vectors; the running update writes through the views.
  Tensor x = test::rand({4, 3, 2, 2}, 44, -1, 1, DType::f64);
  Tensor wide = test::rand({6}, 45, 0.5, 1.5, DType::f64);
  Tensor rm_wide = zeros({6}, DType::f64), rv_wide = ones({6}, DType::f64);
  Tensor w = slice(wide, 0, 0, 6, 2), rm = slice(rm_wide, 0, 0, 6, 2), rv = slice(rv_wide, 0, 0, 6, 2);
  Tensor rm_c = zeros({3}, DType::f64), rv_c = ones({3}, DType::f64);
  REQUIRE(!w.is_contiguous());
  REQUIRE_CLOSE(batch_norm(x, w, w, rm, rv, true), batch_norm(x, contiguous(w), contiguous(w), rm_c, rv_c, true), 0, 0);
  REQUIRE(vec(rm) == vec(rm_c));
  REQUIRE(vec(rv) == vec(rv_c));
  REQUIRE(vec(slice(rm_wide, 0, 1, 6, 2)) == std::vector<double>(3, 0));  // the elements between: untouched
  REQUIRE(vec(slice(rv_wide, 0, 1, 6, 2)) == std::vector<double>(3, 1));
  REQUIRE_CLOSE(batch_norm(x, w, Tensor(), rm, rv, false), batch_norm(x, contiguous(w), Tensor(), rm_c, rv_c, false), 0,
                0);
  Tensor leaf = wide.detach().set_requires_grad();
  REQUIRE_GRADCHECK(
      [&](const std::vector<Tensor>& in) {
        return batch_norm(x, slice(in[0], 0, 0, 6, 2), slice(in[0], 0, 1, 6, 2), Tensor(), Tensor(), true);
      },
      {leaf});
}

TEST_CASE("batch_norm: errors name the op and the shapes") {
  Tensor x = zeros({2, 3, 4, 4});
  REQUIRE_THROWS_WITH(batch_norm(zeros({3}), Tensor(), Tensor(), Tensor(), Tensor(), true),
                      Catch::Contains("batch_norm: expected an input [N, C] or [N, C, H, W], got [3]"));
  REQUIRE_THROWS_WITH(batch_norm(x, zeros({4}), Tensor(), Tensor(), Tensor(), true),
                      Catch::Contains("batch_norm: weight [4] does not match the 3 channels of input [2, 3, 4, 4]"));
  REQUIRE_THROWS_WITH(batch_norm(x, Tensor(), zeros({3, 1}), Tensor(), Tensor(), true),
                      Catch::Contains("batch_norm: bias [3, 1] does not match the 3 channels"));
  REQUIRE_THROWS_WITH(batch_norm(x, Tensor(), Tensor(), zeros({2}), ones({2}), false),
                      Catch::Contains("batch_norm: running_mean [2] does not match the 3 channels of input [2, 3, 4, 4]"));
  REQUIRE_THROWS_WITH(batch_norm(x, Tensor(), Tensor(), zeros({3}), Tensor(), false),
                      Catch::Contains("running_mean and running_var must both be given"));
  REQUIRE_THROWS_WITH(batch_norm(x, zeros({3}, DType::f64), Tensor(), Tensor(), Tensor(), true),
                      Catch::Contains("batch_norm: weight") && Catch::Contains("differ in dtype"));
  REQUIRE_THROWS_WITH(batch_norm(x, Tensor(), Tensor(), Tensor(), Tensor(), true, 0.1, -1),
                      Catch::Contains("batch_norm: eps must be finite and non-negative"));
}
