// The losses case table: cross_entropy and nll_loss (class weights, ignore_index, label smoothing,
// reductions, spatial targets), mse, l1, smooth_l1 and bce_with_logits (pos_weight), against
// reference loops in double, by float64 finite differences, against torch.nn.functional
// (tools/goldens/losses.py), and CUDA against the CPU.
#include <cmath>

#include "losses/losses.h"
#include "tests/losses/loss_targets.h"
#include "tests/op_cases.h"

namespace oc::test {
namespace {

// Class weights and pos_weight: constants (PyTorch gives them no gradient) by a plain formula that
// tools/goldens/losses.py repeats.
Tensor class_weights(int64_t c, DType dt, Device dev) {
  std::vector<double> w(c);
  for (int64_t j = 0; j < c; ++j) w[j] = 0.3 + 0.4 * static_cast<double>(j % 5);
  return to(to(from_vector(w, {c}), dt), dev);
}
Tensor pos_weights(int64_t c, DType dt, Device dev) {
  std::vector<double> w(c);
  for (int64_t j = 0; j < c; ++j) w[j] = 0.5 + 0.6 * static_cast<double>(j % 4);
  return to(to(from_vector(w, {c}), dt), dev);
}

// Cross-entropy on [N,C,S] (S = product of the spatial dims) in double, from logits (`from_logits`)
// or log-probabilities: per-element losses for none, else one value.
Tensor reference_ce(const Tensor& x, const Tensor& target, const std::vector<double>& weight, int64_t ignore,
                    double smoothing, Reduction r, bool from_logits) {
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
      for (int64_t j = 0; j < c; ++j)
        lp[j] = from_logits ? xv[(i * c + j) * s + k] - mx - std::log(z) : xv[(i * c + j) * s + k];
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
    return from_vector(out, target.shape());
  }
  double a = 0, b = 0;
  for (size_t i = 0; i < nll.size(); ++i) a += nll[i], b += smooth[i];
  if (r == Reduction::mean) a /= wsum, b /= wsum;
  return from_vector(std::vector<double>{(1 - e) * a + e / c * b}, {});
}

// Elementwise: f(x, y, i) per element, then the reduction.
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

// Bounds. Forward: float64, the same math in another order; float32, log_softmax and the sums round
// at 6e-8. CUDA: float64, only the summation order differs; float32, log_softmax and exp/log differ
// by a few ulp between CUDA's and glibc's libm, and the CPU sums in double where CUDA sums in float;
// gradients of a mean are O(1/N), hence the absolute floor. Goldens: rounding in other evaluation
// orders (log_softmax's row sums, the mean's divisor), 1e-12 leaves three orders of headroom.
void loss_bounds(OpCase& c) {
  c.fwd64 = {1e-12, 1e-12}, c.fwd32 = {2e-6, 2e-6};
  c.cuda32 = {2e-6, 2e-5}, c.cuda64 = {1e-12, 1e-12};
  c.cuda32_grad = {1e-6, 1e-4}, c.cuda64_grad = {1e-13, 1e-11};
}

struct Ce {
  Shape logits;
  bool weighted = false;
  int64_t ignore = -100;
  bool ignored = false;  // about a quarter of the targets are `ignore`
  double smoothing = 0;
  Reduction reduction = Reduction::mean;
  double lo = -3, hi = 3;  // the logits' range
};

// cross_entropy, or nll_loss (its inputs: log_softmax of the logits).
OpCase ce(const std::string& op, const Ce& e) {
  OpCase c;
  c.op = op;
  Shape ts = e.logits;
  ts.erase(ts.begin() + 1);
  const int64_t classes = e.logits[1];
  c.shapes = {e.logits, ts};
  c.params = {{"weighted", e.weighted}, {"ignore_index", e.ignore}, {"ignored", e.ignored}};
  if (op == "cross_entropy") c.params["smoothing"] = e.smoothing;
  c.params["reduction"] = reduction_name(e.reduction);
  const bool nll = op == "nll_loss";
  c.inputs = [e, ts, classes, nll](DType dt, uint64_t seed) {
    Tensor x = rand(e.logits, seed, e.lo, e.hi, DType::f64);
    if (nll) x = log_softmax(x, 1);
    return std::vector<Tensor>{to(x, dt), random_targets(ts, classes, seed + 1, e.ignored, e.ignore)};
  };
  c.run = [e, nll](const std::vector<Tensor>& in) {
    CrossEntropyOptions o;
    if (e.weighted) o.weight = class_weights(in[0].size(1), in[0].dtype(), in[0].device());
    o.ignore_index = e.ignore;
    o.label_smoothing = e.smoothing;
    o.reduction = e.reduction;
    return nll ? nll_loss(in[0], in[1], o) : cross_entropy(in[0], in[1], o);
  };
  c.reference = [e, nll](const std::vector<Tensor>& in) {
    const std::vector<double> w =
        e.weighted ? to_vector<double>(class_weights(in[0].size(1), DType::f64, Device::cpu())) : std::vector<double>{};
    return reference_ce(in[0], in[1], w, e.ignore, e.smoothing, e.reduction, !nll);
  };
  loss_bounds(c);
  return c;
}

// mse_loss, l1_loss, smooth_l1_loss (beta), bce_with_logits (pos_weight along the last dim).
// diff: the target y = x +- d with d in [0.1, 0.4] ("near") or [0.6, 1.5] ("far"), away from l1's
// kink and smooth_l1's seam at 0.5; "any": y uniform in [-3, 3). bce: logits in [lo, hi), targets
// (probabilities) in [0, 1).
OpCase elementwise(const std::string& op, const Shape& shape, Reduction r, const std::string& diff = "any",
                   double beta = 1, bool pos_weight = false, double lo = -3, double hi = 3) {
  OpCase c;
  c.op = op;
  c.shapes = {shape, shape};
  c.params["reduction"] = reduction_name(r);
  const bool bce = op == "bce_with_logits";
  if (op == "smooth_l1_loss") c.params["beta"] = beta;
  if (bce) {
    c.params["pos_weight"] = pos_weight;
    c.params["logits"] = std::vector<double>{lo, hi};
  } else {
    c.params["diff"] = diff;
  }
  c.inputs = [shape, bce, diff, lo, hi](DType dt, uint64_t seed) {
    if (bce) return std::vector<Tensor>{to(rand(shape, seed, lo, hi, DType::f64), dt),
                                        to(rand(shape, seed + 1, 0, 1, DType::f64), dt)};
    if (diff == "any") return std::vector<Tensor>{to(rand(shape, seed, -3, 3, DType::f64), dt),
                                                  to(rand(shape, seed + 1, -3, 3, DType::f64), dt)};
    const Tensor x = rand(shape, seed, -2, 2, DType::f64);
    const Tensor d = diff == "near" ? rand(shape, seed + 1, 0.1, 0.4, DType::f64) : rand(shape, seed + 1, 0.6, 1.5, DType::f64);
    const Tensor sign = sub(mul(to(gt(rand(shape, seed + 2, -1, 1, DType::f64), zeros({}, DType::f64)), DType::f64), 2.0), 1.0);
    return std::vector<Tensor>{to(x, dt), to(add(x, mul(d, sign)), dt)};
  };
  c.run = [op, r, beta, pos_weight](const std::vector<Tensor>& in) {
    if (op == "mse_loss") return mse_loss(in[0], in[1], r);
    if (op == "l1_loss") return l1_loss(in[0], in[1], r);
    if (op == "smooth_l1_loss") return smooth_l1_loss(in[0], in[1], beta, r);
    return bce_with_logits(in[0], in[1], r,
                           pos_weight ? pos_weights(in[0].shape().back(), in[0].dtype(), in[0].device()) : Tensor());
  };
  c.reference = [op, r, beta, pos_weight](const std::vector<Tensor>& in) {
    if (op == "mse_loss") return reference_elementwise(in[0], in[1], r, [](double a, double b, size_t) { return (a - b) * (a - b); });
    if (op == "l1_loss") return reference_elementwise(in[0], in[1], r, [](double a, double b, size_t) { return std::fabs(a - b); });
    if (op == "smooth_l1_loss")
      return reference_elementwise(in[0], in[1], r, [beta](double a, double b, size_t) {
        const double z = std::fabs(a - b);
        return z < beta ? 0.5 * z * z / beta : z - 0.5 * beta;
      });
    const int64_t last = in[0].shape().back();
    const std::vector<double> pw = to_vector<double>(pos_weights(last, DType::f64, Device::cpu()));
    return reference_elementwise(in[0], in[1], r, [&](double a, double t, size_t i) {
      return (pos_weight ? pw[i % last] : 1.0) * t * softplus(-a) + (1 - t) * softplus(a);
    });
  };
  loss_bounds(c);
  c.fwd64 = {1e-13, 1e-13};
  return c;
}

constexpr Reduction kReductions[] = {Reduction::none, Reduction::mean, Reduction::sum};

}  // namespace
}  // namespace oc::test

OC_OP_CASES(losses) {
  std::vector<OpCase> t;
  auto add = [&t](OpCase c, bool gradient, bool golden) { t.push_back(with_checks(std::move(c), gradient, golden)); };
  // cross_entropy, every option, [N, C], 2-D and 1-D spatial targets.
  for (const Shape& shape : {Shape{5, 4}, Shape{3, 4, 2, 3}, Shape{2, 3, 5}})
    for (bool weighted : {false, true})
      for (int64_t ignore : {int64_t{-100}, int64_t{1}})
        for (bool ignored : {false, true})
          for (double ls : {0.0, 0.2})
            for (Reduction r : kReductions)
              add(ce("cross_entropy", {shape, weighted, ignore, ignored, ls, r}), false, false);
  for (const Shape& shape : {Shape{6, 5}, Shape{2, 5, 3, 2}})
    for (bool weighted : {false, true})
      for (Reduction r : kReductions) add(ce("nll_loss", {shape, weighted, -100, true, 0, r, -2, 2}), false, false);
  for (Reduction r : kReductions) {
    add(elementwise("mse_loss", {4, 3, 2}, r), false, false);
    add(elementwise("l1_loss", {4, 3, 2}, r), false, false);
    for (double beta : {0.0, 0.5, 1.0, 2.5}) add(elementwise("smooth_l1_loss", {4, 3, 2}, r, "any", beta), false, false);
    for (bool pw : {false, true}) add(elementwise("bce_with_logits", {4, 3, 2}, r, "any", 1, pw), false, false);
  }

  // Float64 finite differences (targets of the regression losses and bce too).
  for (const Shape& shape : {Shape{4, 5}, Shape{2, 3, 2, 2}})
    for (bool weighted : {false, true})
      for (double ls : {0.0, 0.3})
        for (Reduction r : kReductions) add(ce("cross_entropy", {shape, weighted, -100, true, ls, r, -2, 2}), true, false);
  add(ce("nll_loss", {{5, 4}, true, -100, true, 0, Reduction::mean, -2, 2}), true, false);
  for (Reduction r : kReductions) {
    add(elementwise("mse_loss", {3, 4}, r, "near"), true, false);
    add(elementwise("l1_loss", {3, 4}, r, "near"), true, false);
    add(elementwise("smooth_l1_loss", {3, 4}, r, "near", 0.5), true, false);
    add(elementwise("smooth_l1_loss", {3, 4}, r, "far", 0.5), true, false);
    for (bool pw : {false, true}) add(elementwise("bce_with_logits", {3, 4}, r, "any", 1, pw, -4, 4), true, false);
  }

  // torch.nn.functional.
  for (Reduction r : kReductions) {
    add(ce("cross_entropy", {{6, 5}, false, -100, false, 0, r}), false, true);
    add(ce("cross_entropy", {{7, 4}, true, -100, true, 0.15, r}), false, true);
    add(ce("cross_entropy", {{2, 4, 3, 3}, true, 255, true, 0.2, r}), false, true);
    add(ce("nll_loss", {{6, 5}, true, -100, true, 0, r}), false, true);
    for (const char* diff : {"near", "far"}) {
      add(elementwise("mse_loss", {4, 5}, r, diff), false, true);
      add(elementwise("l1_loss", {4, 5}, r, diff), false, true);
      for (double beta : {0.5, 0.0}) add(elementwise("smooth_l1_loss", {3, 4}, r, diff, beta), false, true);
    }
    for (bool pw : {false, true}) add(elementwise("bce_with_logits", {4, 3}, r, "any", 1, pw, -6, 6), false, true);
  }
  add(ce("cross_entropy", {{8, 3}, true, -100, true, 0, Reduction::mean}), false, true);
  add(ce("cross_entropy", {{8, 3}, false, -100, true, 0.3, Reduction::mean}), false, true);
  add(ce("cross_entropy", {{8, 3}, false, 1, false, 0, Reduction::mean}), false, true);
  add(ce("cross_entropy", {{2, 3, 5}, false, -100, false, 0.1, Reduction::sum}), false, true);
  add(ce("nll_loss", {{2, 3, 2, 4}, false, -100, true, 0, Reduction::mean}), false, true);
  // Large logits: softplus without overflow.
  add(elementwise("bce_with_logits", {1, 5}, Reduction::none, "any", 1, false, -60, 60), false, true);

  // CUDA against the CPU: a batch of 64, spatial maps, an empty batch (its mean is NaN on both:
  // nothing to compare).
  for (const Shape& shape : {Shape{64, 10}, Shape{4, 5, 7, 9}, Shape{0, 3}})
    for (bool weighted : {false, true})
      for (double ls : {0.0, 0.1})
        for (Reduction r : kReductions) {
          if (shape[0] == 0 && r == Reduction::mean) continue;
          t.push_back(ce("cross_entropy", {shape, weighted, -100, true, ls, r}));
          if (ls == 0) t.push_back(ce("nll_loss", {shape, weighted, -100, true, 0, r}));
        }
  for (Reduction r : kReductions) {
    t.push_back(elementwise("mse_loss", {37, 11}, r));
    t.push_back(elementwise("l1_loss", {37, 11}, r));
    t.push_back(elementwise("smooth_l1_loss", {37, 11}, r, "any", 0.7));
    for (bool pw : {false, true}) t.push_back(elementwise("bce_with_logits", {37, 11}, r, "any", 1, pw, -3, 3));
  }
  return t;
}
