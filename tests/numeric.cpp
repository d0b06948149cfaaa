// Numeric test helpers (see numeric.h).
#include "tests/numeric.h"

#include <cmath>
#include <random>

namespace oc::test {

Tensor rand(const Shape& shape, uint64_t seed, double lo, double hi, DType dtype, Device device) {
  Generator g(seed);
  Tensor t = uniform(shape, lo, hi, &g, dtype == DType::f64 ? DType::f64 : DType::f32, Device::cpu());
  if (dtype != DType::f32 && dtype != DType::f64) t = to(t, dtype);
  return to(t, device);
}

Tensor random_index(const Shape& shape, int64_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<int64_t> v(shape_numel(shape));
  for (auto& e : v) e = static_cast<int64_t>(rng() % static_cast<uint64_t>(n));
  return from_vector(v, shape);
}

CloseResult all_close(const Tensor& got, const Tensor& want, double atol, double rtol) {
  CloseResult r;
  if (got.shape() != want.shape()) {
    r.ok = false;
    r.message = "shape " + shape_str(got.shape()) + " != expected " + shape_str(want.shape());
    return r;
  }
  std::vector<double> g = to_vector<double>(got), w = to_vector<double>(want);
  double worst = 0;
  for (size_t i = 0; i < g.size(); ++i) {
    // NaN and infinities are expected exactly (|inf - inf| is NaN, which no bound accepts).
    const bool bad = std::isnan(w[i])   ? !std::isnan(g[i])
                     : std::isinf(w[i]) ? g[i] != w[i]
                                        : !(std::fabs(g[i] - w[i]) <= atol + rtol * std::fabs(w[i]));
    if (bad && r.ok) {
      r.ok = false;
      r.message = str_cat("element ", i, ": got ", g[i], ", expected ", w[i], " (atol ", atol, ", rtol ", rtol, ")");
    }
    if (std::isfinite(w[i])) worst = std::max(worst, std::fabs(g[i] - w[i]));
  }
  if (r.ok) r.message = str_cat("max abs error ", worst, " over ", g.size(), " elements");
  return r;
}

CloseResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& f, std::vector<Tensor> inputs,
                      double eps, double atol, double rtol) {
  for (auto& t : inputs) {
    OC_CHECK(t.dtype() == DType::f64 || !t.requires_grad(), "gradcheck: inputs that require grad must be float64");
    if (t.requires_grad()) t.zero_grad();
  }
  Tensor out = f(inputs);
  Tensor w = rand(out.shape(), 1234, 0.5, 1.5, DType::f64);
  sum(mul(out, w)).backward();
  CloseResult total;
  for (size_t k = 0; k < inputs.size(); ++k) {
    Tensor& x = inputs[k];
    if (!x.requires_grad()) continue;
    Tensor analytic = x.grad().defined() ? x.grad() : zeros_like(x);
    std::vector<double> numeric(x.numel());
    Tensor xc = contiguous(x.detach());
    double* p = xc.data<double>();
    std::vector<Tensor> probe = inputs;
    {
      NoGradGuard no_grad;
      probe[k] = xc.as_strided(x.shape(), xc.strides(), xc.offset());
      for (int64_t i = 0; i < x.numel(); ++i) {
        double orig = p[i];
        p[i] = orig + eps;
        double fp = item<double>(sum(mul(f(probe), w)));
        p[i] = orig - eps;
        double fm = item<double>(sum(mul(f(probe), w)));
        p[i] = orig;
        numeric[i] = (fp - fm) / (2 * eps);
      }
    }
    CloseResult r = all_close(analytic, from_vector(numeric, x.shape()), atol, rtol);
    if (!r.ok) {
      r.message = str_cat("input ", k, ": ", r.message);
      return r;
    }
    total.message += str_cat("input ", k, ": ", r.message, "; ");
  }
  return total;
}

}  // namespace oc::test
