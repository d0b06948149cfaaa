// Losses: forward against plain reference loops for every option (class weights, ignore_index,
// label smoothing, reductions, spatial targets), float64 finite-difference gradients of every loss,
// hand-computed edge conventions, edge shapes and the error messages.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <random>

#include "losses/losses.h"
#include "tests/helpers.h"

using namespace oc;

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();

// Class targets in [0, classes), with about a quarter set to `ignore` when `with_ignored`.
Tensor random_targets(const Shape& shape, int64_t classes, uint64_t seed, bool with_ignored, int64_t ignore) {
  std::mt19937_64 rng(seed);
  std::vector<int64_t> v(shape_numel(shape));
  for (auto& e : v) {
    e = static_cast<int64_t>(rng() % static_cast<uint64_t>(classes));
    if (with_ignored && rng() % 4 == 0) e = ignore;
  }
  if (with_ignored && !v.empty() && v[0] != ignore) v[0] = ignore;     // at least one ignored
  if (v.size() > 1 && v[1] == ignore) v[1] = (ignore == 0 ? 1 : 0);   // and one kept
  return from_vector(v, shape);
}

// Reference cross-entropy on [N,C,S] (S = product of the spatial dims) in double, from logits
// (`from_logits`) or log-probabilities. Returns per-element losses [N,S] for none, else one value.
std::vector<double> reference_ce(const Tensor& x, const Tensor& target, const std::vector<double>& weight,
                                 int64_t ignore, double smoothing, Reduction r, bool from_logits) {
  const int64_t n = x.size(0), c = x.size(1), s = n ? x.numel() / (n * c) : 0;
  std::vector<double> xv = to_vector<double>(x);
  std::vector<int64_t> tv = to_vector<int64_t>(target);
  std::vector<double> nll(n * s, 0), smooth(n * s, 0);
  double wsum = 0;
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t k = 0; k < s; ++k) {
      const int64_t t = tv[i * s + k];
      if (t == ignore) continue;
      std::vector<double> lp(c);
      double mx = -INFINITY, z = 0;
      for (int64_t j = 0; j < c; ++j) mx = std::max(mx, xv[(i * c + j) * s + k]);
      for (int64_t j = 0; j < c; ++j) z += std::exp(xv[(i * c + j) * s + k] - mx);
      for (int64_t j = 0; j < c; ++j) lp[j] = from_logits ? xv[(i * c + j) * s + k] - mx - std::log(z) : xv[(i * c + j) * s + k];
      auto w = [&](int64_t j) { return weight.empty() ? 1.0 : weight[j]; };
      nll[i * s + k] = -w(t) * lp[t];
      for (int64_t j = 0; j < c; ++j) smooth[i * s + k] -= w(j) * lp[j];
      wsum += w(t);
    }
  }
  const double e = smoothing;
  if (r == Reduction::none) {
    std::vector<double> out(n * s);
    for (size_t i = 0; i < out.size(); ++i) out[i] = (1 - e) * nll[i] + e / c * smooth[i];
    return out;
  }
  double a = 0, b = 0;
  for (size_t i = 0; i < nll.size(); ++i) a += nll[i], b += smooth[i];
  if (r == Reduction::mean) a /= wsum, b /= wsum;
  return {(1 - e) * a + e / c * b};
}

Tensor as_result(const std::vector<double>& v, const Tensor& target, Reduction r, DType dt) {
  return to(from_vector(v, r == Reduction::none ? target.shape() : Shape{}), dt);
}

// Elementwise reference: f(x, y) per element, then the reduction.
template <class F>
Tensor reference_elementwise(const Tensor& x, const Tensor& y, Reduction r, F f) {
  std::vector<double> xv = to_vector<double>(x), yv = to_vector<double>(y), out(xv.size());
  for (size_t i = 0; i < xv.size(); ++i) out[i] = f(xv[i], yv[i], i);
  if (r == Reduction::none) return from_vector(out, x.shape());
  double s = 0;
  for (double v : out) s += v;
  if (r == Reduction::mean) s /= static_cast<double>(out.size());
  return from_vector(std::vector<double>{s}, {});
}

double softplus(double z) { return std::max(z, 0.0) + std::log1p(std::exp(-std::fabs(z))); }

const Reduction kReductions[] = {Reduction::none, Reduction::mean, Reduction::sum};

using test::require_error;

}  // namespace

TEST_CASE("losses: cross_entropy matches a reference loop for every option") {
  const Shape shapes[] = {{5, 4}, {3, 4, 2, 3}, {2, 3, 5}};
  for (DType dt : {DType::f64, DType::f32}) {
    // float64: the same math in another order; float32: log_softmax and the sums round at 6e-8.
    const double atol = dt == DType::f64 ? 1e-12 : 2e-6, rtol = dt == DType::f64 ? 1e-12 : 2e-6;
    for (const Shape& shape : shapes) {
      const int64_t c = shape[1];
      Shape tshape = shape;
      tshape.erase(tshape.begin() + 1);
      Tensor x = test::rand(shape, 11, -3, 3, dt);
      std::vector<double> wv = to_vector<double>(test::rand({c}, 12, 0.2, 2.0, DType::f64));
      for (bool weighted : {false, true}) {
        for (int64_t ignore : {int64_t{-100}, int64_t{1}}) {
          for (bool with_ignored : {false, true}) {
            Tensor target = random_targets(tshape, c, 13, with_ignored, ignore);
            for (double ls : {0.0, 0.2}) {
              for (Reduction r : kReductions) {
                INFO(dtype_name(dt) << " logits " << shape_str(shape) << " weighted " << weighted << " ignore "
                                    << ignore << " with_ignored " << with_ignored << " label_smoothing " << ls
                                    << " reduction " << reduction_name(r));
                CrossEntropyOptions o;
                if (weighted) o.weight = to(from_vector(wv, {c}), dt);
                o.ignore_index = ignore;
                o.label_smoothing = ls;
                o.reduction = r;
                Tensor got = cross_entropy(x, target, o);
                std::vector<double> want =
                    reference_ce(x, target, weighted ? wv : std::vector<double>{}, ignore, ls, r, true);
                REQUIRE(got.dtype() == dt);
                REQUIRE_CLOSE(got, as_result(want, target, r, DType::f64), atol, rtol);
              }
            }
          }
        }
      }
    }
  }
}

TEST_CASE("losses: nll_loss matches a reference loop on log-probabilities") {
  for (const Shape& shape : {Shape{6, 5}, Shape{2, 5, 3, 2}}) {
    const int64_t c = shape[1];
    Shape tshape = shape;
    tshape.erase(tshape.begin() + 1);
    Tensor lp = log_softmax(test::rand(shape, 21, -2, 2, DType::f64), 1);
    std::vector<double> wv = to_vector<double>(test::rand({c}, 22, 0.2, 2.0, DType::f64));
    Tensor target = random_targets(tshape, c, 23, true, -100);
    for (bool weighted : {false, true}) {
      for (Reduction r : kReductions) {
        INFO(shape_str(shape) << " weighted " << weighted << " reduction " << reduction_name(r));
        CrossEntropyOptions o;
        if (weighted) o.weight = from_vector(wv, {c});
        o.reduction = r;
        std::vector<double> want = reference_ce(lp, target, weighted ? wv : std::vector<double>{}, -100, 0, r, false);
        REQUIRE_CLOSE(nll_loss(lp, target, o), as_result(want, target, r, DType::f64), 1e-13, 1e-13);
        // cross_entropy is nll_loss of log_softmax.
        Tensor logits = test::rand(shape, 24, -2, 2, DType::f64);
        REQUIRE_CLOSE(cross_entropy(logits, target, o), nll_loss(log_softmax(logits, 1), target, o), 1e-13, 1e-13);
      }
    }
  }
}

TEST_CASE("losses: mse, l1, smooth_l1 and bce_with_logits match reference loops") {
  const Shape shape{4, 3, 2};
  for (DType dt : {DType::f64, DType::f32}) {
    const double tol = dt == DType::f64 ? 1e-13 : 2e-6;
    Tensor x = test::rand(shape, 31, -3, 3, dt), y = test::rand(shape, 32, -3, 3, dt);
    Tensor p = test::rand(shape, 33, 0, 1, dt);  // BCE targets (probabilities)
    Tensor pw = test::rand({2}, 34, 0.5, 3, dt);
    std::vector<double> pwv = to_vector<double>(pw);
    for (Reduction r : kReductions) {
      INFO(dtype_name(dt) << " reduction " << reduction_name(r));
      REQUIRE_CLOSE(mse_loss(x, y, r),
                    reference_elementwise(x, y, r, [](double a, double b, size_t) { return (a - b) * (a - b); }), tol,
                    tol);
      REQUIRE_CLOSE(l1_loss(x, y, r),
                    reference_elementwise(x, y, r, [](double a, double b, size_t) { return std::fabs(a - b); }), tol,
                    tol);
      for (double beta : {0.0, 0.5, 1.0, 2.5}) {
        INFO("beta " << beta);
        REQUIRE_CLOSE(smooth_l1_loss(x, y, beta, r), reference_elementwise(x, y, r, [beta](double a, double b, size_t) {
                        double z = std::fabs(a - b);
                        return z < beta ? 0.5 * z * z / beta : z - 0.5 * beta;
                      }),
                      tol, tol);
      }
      REQUIRE_CLOSE(bce_with_logits(x, p, r), reference_elementwise(x, p, r, [](double a, double t, size_t) {
                      return t * softplus(-a) + (1 - t) * softplus(a);
                    }),
                    tol, tol);
      // pos_weight [2] broadcasts along the last dim.
      REQUIRE_CLOSE(bce_with_logits(x, p, r, pw), reference_elementwise(x, p, r, [&](double a, double t, size_t i) {
                      return pwv[i % 2] * t * softplus(-a) + (1 - t) * softplus(a);
                    }),
                    tol, tol);
    }
  }
}

TEST_CASE("losses: float64 gradients match finite differences") {
  const Shape shape{3, 4};
  SECTION("cross_entropy, every option") {
    for (const Shape& s : {Shape{4, 5}, Shape{2, 3, 2, 2}}) {
      Shape ts = s;
      ts.erase(ts.begin() + 1);
      Tensor target = random_targets(ts, s[1], 41, true, -100);
      Tensor w = test::rand({s[1]}, 42, 0.2, 2, DType::f64);
      for (bool weighted : {false, true}) {
        for (double ls : {0.0, 0.3}) {
          for (Reduction r : kReductions) {
            INFO(shape_str(s) << " weighted " << weighted << " label_smoothing " << ls << " reduction "
                              << reduction_name(r));
            CrossEntropyOptions o;
            if (weighted) o.weight = w;
            o.label_smoothing = ls;
            o.reduction = r;
            Tensor x = test::rand(s, 43, -2, 2, DType::f64).set_requires_grad();
            REQUIRE_GRADCHECK([&](const std::vector<Tensor>& in) { return cross_entropy(in[0], in[1], o); },
                              {x, target});
          }
        }
      }
    }
  }
  SECTION("nll_loss") {
    Tensor target = random_targets({5}, 4, 44, true, -100);
    CrossEntropyOptions o;
    o.weight = test::rand({4}, 45, 0.2, 2, DType::f64);
    Tensor lp = test::rand({5, 4}, 46, -3, 0, DType::f64).set_requires_grad();
    REQUIRE_GRADCHECK([&](const std::vector<Tensor>& in) { return nll_loss(in[0], in[1], o); }, {lp, target});
  }
  SECTION("regression losses and bce_with_logits (input and target)") {
  for (Reduction r : kReductions) {
    INFO("reduction " << reduction_name(r));
    // Differences kept away from 0 (l1's kink) and from +-beta (smooth_l1's seam).
    Tensor x = test::rand(shape, 47, -2, 2, DType::f64).set_requires_grad();
    Tensor d = test::rand(shape, 48, 0.1, 0.4, DType::f64);
    Tensor pm = sub(mul(to(gt(test::rand(shape, 49, -1, 1, DType::f64), zeros({}, DType::f64)), DType::f64), 2.0),
                    1.0);  // +-1
    Tensor y = add(x.detach(), mul(d, pm)).set_requires_grad();                  // |x - y| in [0.1, 0.4]
    Tensor y_far = add(x.detach(), mul(add(d, 0.5), pm)).set_requires_grad();  // |x - y| in [0.6, 0.9]
    REQUIRE_GRADCHECK([&](const std::vector<Tensor>& in) { return mse_loss(in[0], in[1], r); }, {x, y});
    REQUIRE_GRADCHECK([&](const std::vector<Tensor>& in) { return l1_loss(in[0], in[1], r); }, {x, y});
    REQUIRE_GRADCHECK([&](const std::vector<Tensor>& in) { return smooth_l1_loss(in[0], in[1], 0.5, r); }, {x, y});
    REQUIRE_GRADCHECK([&](const std::vector<Tensor>& in) { return smooth_l1_loss(in[0], in[1], 0.5, r); }, {x, y_far});
    Tensor logits = test::rand(shape, 50, -4, 4, DType::f64).set_requires_grad();
    Tensor t = test::rand(shape, 51, 0, 1, DType::f64).set_requires_grad();
    Tensor pw = test::rand({4}, 52, 0.5, 3, DType::f64);
    REQUIRE_GRADCHECK([&](const std::vector<Tensor>& in) { return bce_with_logits(in[0], in[1], r); }, {logits, t});
    REQUIRE_GRADCHECK([&](const std::vector<Tensor>& in) { return bce_with_logits(in[0], in[1], r, pw); },
                      {logits, t});
  }
  }
}

TEST_CASE("losses: hand-computed values and edge conventions") {
  SECTION("uniform logits give log C; the gradient is softmax - onehot over N") {
    Tensor x = zeros({2, 4}, DType::f64).set_requires_grad();
    Tensor t = from_vector<int64_t>({1, 3}, {2});
    Tensor loss = cross_entropy(x, t);
    REQUIRE(item<double>(loss) == Approx(std::log(4.0)).epsilon(1e-15));
    loss.backward();
    REQUIRE_CLOSE(x.grad(), from_vector<double>({0.125, -0.375, 0.125, 0.125, 0.125, 0.125, 0.125, -0.375}, {2, 4}),
                  1e-15, 0);
  }
  SECTION("mean divides by the summed weights of the kept targets") {
    // Two kept targets with weights 2 and 0.5, one ignored: mean = (2 l0 + 0.5 l1) / 2.5.
    Tensor x = from_vector<double>({1, 2, 3, 0, 0, 0, 5, 1, 1}, {3, 3});
    Tensor t = from_vector<int64_t>({2, 0, -1}, {3});
    CrossEntropyOptions o;
    o.weight = from_vector<double>({0.5, 1, 2}, {3});
    o.ignore_index = -1;
    const double l0 = -(3 - std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0))), l1 = std::log(3.0);
    REQUIRE(item<double>(cross_entropy(x, t, o)) == Approx((2 * l0 + 0.5 * l1) / 2.5).epsilon(1e-14));
    o.reduction = Reduction::none;
    REQUIRE_CLOSE(cross_entropy(x, t, o), from_vector<double>({2 * l0, 0.5 * l1, 0}, {3}), 1e-14, 1e-14);
  }
  SECTION("every target ignored: mean is NaN (0/0, as PyTorch), sum is 0, gradient 0") {
    Tensor x = test::rand({3, 2}, 61, -1, 1, DType::f64).set_requires_grad();
    Tensor t = full({3}, -100, DType::i64);
    REQUIRE(std::isnan(item<double>(cross_entropy(x, t))));
    CrossEntropyOptions o;
    o.reduction = Reduction::sum;
    Tensor loss = cross_entropy(x, t, o);
    REQUIRE(item<double>(loss) == 0);
    loss.backward();
    REQUIRE_CLOSE(x.grad(), zeros({3, 2}, DType::f64), 0, 0);
  }
  SECTION("ignored rows may hold -inf log-probabilities (nll_loss)") {
    Tensor lp = from_vector<double>({-INFINITY, 0, std::log(0.25), std::log(0.75)}, {2, 2}).set_requires_grad();
    Tensor t = from_vector<int64_t>({-100, 1}, {2});
    Tensor loss = nll_loss(lp, t);
    REQUIRE(item<double>(loss) == Approx(-std::log(0.75)).epsilon(1e-15));
    loss.backward();
    REQUIRE_CLOSE(lp.grad(), from_vector<double>({0, 0, 0, -1}, {2, 2}), 0, 0);
  }
  SECTION("empty batch: mean NaN, sum 0, none empty") {
    Tensor x = zeros({0, 3}), t = zeros({0}, DType::i64);
    REQUIRE(std::isnan(item<double>(cross_entropy(x, t))));
    CrossEntropyOptions o;
    o.reduction = Reduction::sum;
    REQUIRE(item<double>(cross_entropy(x, t, o)) == 0);
    o.reduction = Reduction::none;
    REQUIRE(cross_entropy(x, t, o).shape() == Shape{0});
    REQUIRE(std::isnan(item<double>(mse_loss(zeros({0, 2}), zeros({0, 2})))));
  }
  SECTION("non-contiguous logits") {
    Tensor base = test::rand({4, 6}, 62, -2, 2, DType::f64);
    Tensor x = transpose(base, 0, 1);  // [6, 4], strided
    Tensor t = random_targets({6}, 4, 63, true, -100);
    CrossEntropyOptions o;
    o.label_smoothing = 0.1;
    REQUIRE_CLOSE(cross_entropy(x, t, o), cross_entropy(contiguous(x), t, o), 0, 0);
  }
  SECTION("1x1 spatial and a single class") {
    Tensor x = test::rand({2, 3, 1, 1}, 64, -1, 1, DType::f64);
    Tensor t = from_vector<int64_t>({2, 0}, {2, 1, 1});
    REQUIRE_CLOSE(cross_entropy(x, t), cross_entropy(reshape(x, {2, 3}), reshape(t, {2})), 1e-15, 0);
    Tensor one = test::rand({3, 1}, 65, -1, 1, DType::f64);
    REQUIRE(item<double>(cross_entropy(one, zeros({3}, DType::i64))) == 0);
  }
  SECTION("bce_with_logits stays finite for large logits") {
    Tensor x = from_vector<double>({100, -100, 100, -100, 0}, {5}).set_requires_grad();
    Tensor t = from_vector<double>({1, 1, 0, 0, 1}, {5});
    Tensor loss = bce_with_logits(x, t, Reduction::none);
    REQUIRE_CLOSE(loss, from_vector<double>({0, 100, 100, 0, std::log(2.0)}, {5}), 1e-15, 1e-15);
    sum(loss).backward();  // sigmoid(x) - t
    REQUIRE_CLOSE(x.grad(), from_vector<double>({0, -1, 1, 0, -0.5}, {5}), 1e-15, 1e-15);
    Tensor xf = from_vector<float>({1e4f, -1e4f}, {2});
    REQUIRE_CLOSE(bce_with_logits(xf, from_vector<float>({0, 1}, {2}), Reduction::none),
                  from_vector<float>({1e4f, 1e4f}, {2}), 0, 1e-7);
  }
  SECTION("smooth_l1 at the seam and l1 at zero follow PyTorch's gradients") {
    Tensor x = from_vector<double>({1.0, -1.0, 0.5, 0.0}, {4}).set_requires_grad();
    Tensor y = zeros({4}, DType::f64);
    Tensor loss = smooth_l1_loss(x, y, 1.0, Reduction::sum);
    REQUIRE(item<double>(loss) == Approx(0.5 + 0.5 + 0.125).epsilon(1e-15));
    loss.backward();
    REQUIRE_CLOSE(x.grad(), from_vector<double>({1, -1, 0.5, 0}, {4}), 0, 0);
    Tensor x2 = zeros({2}, DType::f64).set_requires_grad();
    l1_loss(x2, zeros({2}, DType::f64), Reduction::sum).backward();
    REQUIRE_CLOSE(x2.grad(), zeros({2}, DType::f64), 0, 0);
  }
  SECTION("parse_reduction") {
    REQUIRE(parse_reduction("none") == Reduction::none);
    REQUIRE(parse_reduction("mean") == Reduction::mean);
    REQUIRE(parse_reduction("sum") == Reduction::sum);
    require_error([] { parse_reduction("avg"); }, {"reduction", "\"avg\""});
    REQUIRE(std::string(reduction_name(Reduction::sum)) == "sum");
  }
}

TEST_CASE("losses: errors name the loss and the offending shapes, dtypes and indices") {
  Tensor x = test::rand({4, 3}, 71);
  Tensor t = from_vector<int64_t>({0, 1, 2, 1}, {4});
  require_error([&] { cross_entropy(x, from_vector<int64_t>({0, 1, 2}, {3})); },
                {"cross_entropy", "target [3]", "logits [4, 3]", "expected target [4]"});
  require_error([&] { cross_entropy(x, to(t, DType::f32)); }, {"cross_entropy", "target must be int64", "float32"});
  require_error([&] { cross_entropy(x, from_vector<int64_t>({0, 7, 2, 1}, {4})); },
                {"cross_entropy", "target class index 7", "C = 3", "logits [4, 3]"});
  require_error([&] { cross_entropy(x, from_vector<int64_t>({0, -3, 2, 1}, {4})); },
                {"cross_entropy", "target class index -3"});
  {
    CrossEntropyOptions o;
    o.weight = ones({5});
    require_error([&] { cross_entropy(x, t, o); }, {"cross_entropy", "weight [5]", "C = 3", "logits [4, 3]"});
    o.weight = ones({3}, DType::f64);
    require_error([&] { cross_entropy(x, t, o); }, {"cross_entropy", "weight", "same dtype"});
  }
  {
    CrossEntropyOptions o;
    o.label_smoothing = 1.5;
    require_error([&] { cross_entropy(x, t, o); }, {"cross_entropy", "label_smoothing", "1.5"});
    o.label_smoothing = 0.1;
    require_error([&] { nll_loss(log_softmax(x, 1), t, o); }, {"nll_loss", "label_smoothing must be 0"});
  }
  require_error([&] { cross_entropy(test::rand({4}, 72), t); }, {"cross_entropy", "logits [4]", "[N, C]"});
  require_error([&] { cross_entropy(test::rand({2, 3, 4}, 73), from_vector<int64_t>({0, 1}, {2})); },
                {"cross_entropy", "target [2]", "logits [2, 3, 4]", "expected target [2, 4]"});
  require_error([&] { nll_loss(x, from_vector<int64_t>({0, 1, 2, 5}, {4})); }, {"nll_loss", "index 5"});
  require_error([&] { mse_loss(x, test::rand({3, 4}, 74)); }, {"mse_loss", "target [3, 4]", "input [4, 3]"});
  require_error([&] { l1_loss(x, test::rand({4, 3}, 75, -1, 1, DType::f64)); }, {"l1_loss", "same dtype"});
  require_error([&] { smooth_l1_loss(x, x, -1.0); }, {"smooth_l1_loss", "beta", "-1"});
  require_error([&] { bce_with_logits(x, test::rand({4, 1}, 76)); }, {"bce_with_logits", "target [4, 1]", "logits [4, 3]"});
  require_error([&] { bce_with_logits(x, x, Reduction::mean, ones({2})); },
                {"bce_with_logits", "pos_weight [2]", "target [4, 3]"});
}
