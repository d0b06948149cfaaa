// The optim case table: the fused updates sgd_update_ and adam_update_ (kernels/optim) over a few
// steps, as one op each: inputs the parameter and one gradient per step, output the parameter and
// its state after the last step, cat'ed. Checked against the update formulas in double, against
// torch.optim.SGD / Adam / AdamW (tools/goldens/optim.py), and CUDA against the CPU bit for bit.
// No gradients: the updates are not recorded by autograd.
#include <cmath>

#include "kernels/optim/optim.h"
#include "tests/op_cases.h"

namespace oc::test {
namespace {

// p [n] and `steps` gradients [n], uniform in [-1, 1).
OpCase update_inputs(const std::string& op, int64_t n, int steps) {
  OpCase c;
  c.op = op;
  c.shapes.assign(1 + steps, Shape{n});
  c.inputs = uniform_inputs(c.shapes);
  // float64: the formula in the same order, but C++ double arithmetic, ~1e-16 per step. float32:
  // each step rounds every operation to float (~6e-8 relative each) against the double formula.
  c.fwd64 = {1e-15, 1e-13}, c.fwd32 = {1e-6, 1e-5};
  // Every operation rounds once, in the same order on both devices (optim_math.h): bit-identical.
  c.cuda32 = c.cuda64 = kExact;
  c.parity_grads = false;
  // Goldens: PyTorch's single-tensor path, the same operations; only libm's pow may differ by an ulp.
  c.golden_tol = {1e-15, 1e-14};
  return c;
}

OpCase sgd(int64_t n, const SgdUpdate& u, int steps = 3) {
  OpCase c = update_inputs("sgd_update", n, steps);
  c.params = {{"lr", u.lr}, {"momentum", u.momentum}, {"weight_decay", u.weight_decay}, {"nesterov", u.nesterov}};
  c.run = [u](const std::vector<Tensor>& in) {
    Tensor p = clone(in[0]).detach();
    Tensor buf = u.momentum != 0 ? zeros_like(p) : Tensor();
    for (size_t k = 1; k < in.size(); ++k) sgd_update_(p, in[k].detach(), buf, u);
    return buf.defined() ? cat({p, buf}, 0) : p;
  };
  // torch.optim.SGD: d = g + wd p;  buf = momentum buf + d (buf = d at the first step);
  // d = nesterov ? d + momentum buf : buf;  p -= lr d.
  c.reference = [u](const std::vector<Tensor>& in) {
    std::vector<double> p = to_vector<double>(in[0]), buf(p.size(), 0);
    for (size_t k = 1; k < in.size(); ++k) {
      const std::vector<double> g = to_vector<double>(in[k]);
      for (size_t i = 0; i < p.size(); ++i) {
        double d = g[i] + u.weight_decay * p[i];
        if (u.momentum != 0) {
          buf[i] = k == 1 ? d : u.momentum * buf[i] + d;
          d = u.nesterov ? d + u.momentum * buf[i] : buf[i];
        }
        p[i] -= u.lr * d;
      }
    }
    if (u.momentum != 0) p.insert(p.end(), buf.begin(), buf.end());
    return from_vector(p, {static_cast<int64_t>(p.size())});
  };
  return c;
}

OpCase adam(int64_t n, AdamUpdate u, int steps = 3) {
  OpCase c = update_inputs("adam_update", n, steps);
  c.params = {{"lr", u.lr},   {"beta1", u.beta1},           {"beta2", u.beta2},
              {"eps", u.eps}, {"weight_decay", u.weight_decay}, {"decoupled", u.decoupled}};
  c.run = [u](const std::vector<Tensor>& in) mutable {
    Tensor p = clone(in[0]).detach(), m = zeros_like(p), v = zeros_like(p);
    for (size_t k = 1; k < in.size(); ++k) {
      u.step = static_cast<int64_t>(k);
      adam_update_(p, in[k].detach(), m, v, u);
    }
    return cat({p, m, v}, 0);
  };
  // torch.optim.Adam / AdamW: AdamW: p *= 1 - lr wd, Adam: g += wd p;  m = b1 m + (1 - b1) g;
  // v = b2 v + (1 - b2) g^2;  p -= lr / (1 - b1^t) m / (sqrt(v) / sqrt(1 - b2^t) + eps).
  c.reference = [u](const std::vector<Tensor>& in) {
    std::vector<double> p = to_vector<double>(in[0]), m(p.size(), 0), v(p.size(), 0);
    for (size_t k = 1; k < in.size(); ++k) {
      const std::vector<double> g = to_vector<double>(in[k]);
      const double t = static_cast<double>(k);
      for (size_t i = 0; i < p.size(); ++i) {
        double gi = g[i];
        if (u.decoupled) p[i] *= 1 - u.lr * u.weight_decay;
        else gi += u.weight_decay * p[i];
        m[i] = u.beta1 * m[i] + (1 - u.beta1) * gi;
        v[i] = u.beta2 * v[i] + (1 - u.beta2) * gi * gi;
        p[i] -= u.lr / (1 - std::pow(u.beta1, t)) * m[i] / (std::sqrt(v[i]) / std::sqrt(1 - std::pow(u.beta2, t)) + u.eps);
      }
    }
    p.insert(p.end(), m.begin(), m.end());
    p.insert(p.end(), v.begin(), v.end());
    return from_vector(p, {static_cast<int64_t>(p.size())});
  };
  return c;
}

}  // namespace
}  // namespace oc::test

OC_OP_CASES(optim) {
  std::vector<OpCase> t;
  const SgdUpdate sgds[] = {{0.1, 0, 0, false}, {0.1, 0.9, 0, false}, {0.05, 0.9, 0.01, true}, {0.1, 0.8, 0.05, false}};
  const AdamUpdate adams[] = {{0.01, 0.9, 0.999, 1e-8, 0, false},  {0.02, 0.8, 0.99, 1e-6, 0.1, false},
                              {0.01, 0.9, 0.999, 1e-8, 0.1, true}, {0.05, 0.85, 0.995, 1e-8, 0.02, true},
                              {0.01, 0.9, 0.999, 1e-8, 0.1, false}};
  // One element, a thousand, and a million and three (CUDA's grid-stride loop and its tail); the
  // small ones also against PyTorch over 5 steps.
  for (int64_t n : {int64_t{1}, int64_t{1000}, int64_t{(1 << 20) + 3}}) {
    for (const SgdUpdate& u : sgds) t.push_back(sgd(n, u));
    for (const AdamUpdate& u : adams) t.push_back(adam(n, u));
  }
  for (const SgdUpdate& u : sgds) t.push_back(with_checks(sgd(12, u, 5), false, true));
  for (const AdamUpdate& u : adams) t.push_back(with_checks(adam(12, u, 5), false, true));
  return t;
}
