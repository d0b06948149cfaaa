// The batch_norm case table: training and eval, with and without affine parameters and running
// statistics, [N, C] and [N, C, H, W], with and without the fused ReLU (op batch_norm_relu),
// against the formula in double, by float64 finite differences,
// against PyTorch's F.batch_norm (tools/goldens/batch_norm.py), and CUDA against the CPU; and the
// running statistics after one training step (op batch_norm_running: cat(running_mean, running_var)).
#include <algorithm>
#include <cmath>

#include "tests/op_cases.h"

namespace oc::test {
namespace {

using Ints = std::vector<int64_t>;

// The running statistics a row starts from, fresh on every call (finite-difference probes must not
// see earlier updates): a plain formula that tools/goldens/batch_norm.py repeats. Not inputs:
// PyTorch gives them no gradient, and training updates them in place.
std::pair<Tensor, Tensor> start_running(int64_t C, DType dt, Device dev) {
  std::vector<double> rm(C), rv(C);
  for (int64_t c = 0; c < C; ++c) rm[c] = 0.1 * static_cast<double>(c % 7) - 0.3, rv[c] = 0.5 + 0.25 * (c % 5);
  return {to(to(from_vector(rm, {C}), dt), dev), to(to(from_vector(rv, {C}), dt), dev)};
}

// Per-channel batch mean and biased variance of x [N, C, ...], in double.
void batch_stats(const Tensor& x, std::vector<double>* mean, std::vector<double>* var) {
  const int64_t N = x.size(0), C = x.size(1), S = x.numel() / (N * C);
  const std::vector<double> v = to_vector<double>(contiguous(x));
  const double n = static_cast<double>(N * S);
  mean->assign(C, 0), var->assign(C, 0);
  for (int64_t c = 0; c < C; ++c) {
    for (int64_t i = 0; i < N; ++i)
      for (int64_t s = 0; s < S; ++s) (*mean)[c] += v[(i * C + c) * S + s] / n;
    for (int64_t i = 0; i < N; ++i)
      for (int64_t s = 0; s < S; ++s) (*var)[c] += std::pow(v[(i * C + c) * S + s] - (*mean)[c], 2) / n;
  }
}

struct Bn {
  Shape x;
  int weights = 2;  // 0: no affine, 1: weight only, 2: weight and bias
  bool training = true, running = true;
  double momentum = 0.1, eps = 1e-5, lo = -2, hi = 3;
  bool nhwc = false;  // x given as NHWC storage, read through a permutation
  bool relu = false;  // batch_norm_relu
};

// Inputs x (uniform in [lo, hi)), weight in [0.5, 1.5), bias in [-1, 1).
OpCase bn_inputs(const std::string& op, const Bn& b) {
  OpCase c;
  c.op = op;
  const int64_t C = b.x[1];
  c.shapes = {b.nhwc ? Shape{b.x[0], b.x[2], b.x[3], b.x[1]} : b.x};
  for (int i = 0; i < b.weights; ++i) c.shapes.push_back({C});
  if (op != "batch_norm_running") c.params["training"] = b.training;
  c.params["running"] = b.running;
  c.params["momentum"] = b.momentum;
  c.params["eps"] = b.eps;
  c.params["x"] = std::vector<double>{b.lo, b.hi};
  if (b.nhwc) c.params["permute"] = Ints{0, 3, 1, 2};
  const Shape xs = c.shapes[0];
  c.inputs = [xs, b, C](DType dt, uint64_t seed) {
    std::vector<Tensor> v{to(rand(xs, seed, b.lo, b.hi, DType::f64), dt)};
    if (b.weights >= 1) v.push_back(to(rand({C}, seed + 1, 0.5, 1.5, DType::f64), dt));
    if (b.weights >= 2) v.push_back(to(rand({C}, seed + 2, -1, 1, DType::f64), dt));
    return v;
  };
  // float32 against the double formula: sums of a few hundred values, then 3-4 rounded operations.
  c.fwd64 = {1e-14, 1e-12}, c.fwd32 = {1e-5, 1e-5};
  // CUDA: channel sums in double on both devices but in other orders (a block tree vs a loop): the
  // statistics agree to about 1 ulp of float; the outputs and gradients chain 3-4 rounded operations
  // on them (and nvcc contracts to FMA): a few ulp. The input gradient subtracts two per-channel
  // terms from g: cancellation, so an absolute bound. float64: the same in double ulps.
  c.cuda32 = {2e-6, 2e-6}, c.cuda32_grad = {1e-5, 1e-5};
  c.cuda64 = {1e-13, 1e-12}, c.cuda64_grad = {1e-12, 1e-11};
  return c;
}

Tensor x_of(const Bn& b, const Tensor& x) { return b.nhwc ? permute(x, {0, 3, 1, 2}) : x; }

OpCase batch_norm_row(const Bn& b) {
  OpCase c = bn_inputs(b.relu ? "batch_norm_relu" : "batch_norm", b);
  c.run = [b](const std::vector<Tensor>& in) {
    const Tensor x = x_of(b, in[0]);
    Tensor rm, rv;
    if (b.running) std::tie(rm, rv) = start_running(x.size(1), x.dtype(), x.device());
    const Tensor w = b.weights >= 1 ? in[1] : Tensor(), bias = b.weights >= 2 ? in[2] : Tensor();
    return b.relu ? batch_norm_relu(x, w, bias, rm, rv, b.training, b.momentum, b.eps)
                  : batch_norm(x, w, bias, rm, rv, b.training, b.momentum, b.eps);
  };
  // (x - mean) / sqrt(var + eps) * w + b, with the batch's statistics (training, or no running
  // ones) or the running ones.
  c.reference = [b](const std::vector<Tensor>& in) {
    const Tensor x = x_of(b, in[0]);
    const int64_t N = x.size(0), C = x.size(1), S = x.numel() / (N * C);
    std::vector<double> mean, var;
    if (b.training || !b.running) {
      batch_stats(x, &mean, &var);
    } else {
      auto [rm, rv] = start_running(C, DType::f64, Device::cpu());
      mean = to_vector<double>(rm), var = to_vector<double>(rv);
    }
    const std::vector<double> w = b.weights >= 1 ? to_vector<double>(in[1]) : std::vector<double>(C, 1);
    const std::vector<double> bias = b.weights >= 2 ? to_vector<double>(in[2]) : std::vector<double>(C, 0);
    std::vector<double> y = to_vector<double>(contiguous(x));
    for (int64_t i = 0; i < N; ++i)
      for (int64_t ch = 0; ch < C; ++ch)
        for (int64_t s = 0; s < S; ++s) {
          double& v = y[(i * C + ch) * S + s];
          v = (v - mean[ch]) / std::sqrt(var[ch] + b.eps) * w[ch] + bias[ch];
          if (b.relu) v = std::max(v, 0.0);
        }
    return from_vector(y, x.shape());
  };
  return c;
}

// The running statistics after one training step: (1 - m) * start + m * the batch's mean and
// unbiased variance.
OpCase running_row(Bn b) {
  b.weights = 0;
  OpCase c = bn_inputs("batch_norm_running", b);
  c.run = [b](const std::vector<Tensor>& in) {
    const Tensor x = x_of(b, in[0]);
    auto [rm, rv] = start_running(x.size(1), x.dtype(), x.device());
    batch_norm(x, Tensor(), Tensor(), rm, rv, true, b.momentum, b.eps);
    return cat({rm, rv}, 0);
  };
  c.reference = [b](const std::vector<Tensor>& in) {
    const Tensor x = x_of(b, in[0]);
    const double n = static_cast<double>(x.numel() / x.size(1));
    std::vector<double> mean, var;
    batch_stats(x, &mean, &var);
    auto [rm, rv] = start_running(x.size(1), DType::f64, Device::cpu());
    std::vector<double> out = to_vector<double>(rm), rv0 = to_vector<double>(rv);
    for (size_t ch = 0; ch < mean.size(); ++ch) out[ch] = (1 - b.momentum) * out[ch] + b.momentum * mean[ch];
    for (size_t ch = 0; ch < mean.size(); ++ch)
      out.push_back((1 - b.momentum) * rv0[ch] + b.momentum * var[ch] * n / (n - 1));
    return from_vector(out, {2 * x.size(1)});
  };
  c.parity_grads = false;  // the buffers get no gradient
  c.fwd64 = {1e-15, 1e-13};
  return c;
}

}  // namespace
}  // namespace oc::test

OC_OP_CASES(batch_norm) {
  std::vector<OpCase> t;
  auto add = [&t](OpCase c, bool gradient, bool golden) { t.push_back(with_checks(std::move(c), gradient, golden)); };
  // PyTorch, which also holds the forward to the formula: training and eval, affine or not, with and
  // without running statistics, [N, C, H, W] and [N, C]; the running update at two momenta.
  add(batch_norm_row({.x = {4, 3, 3, 2}}), false, true);
  add(batch_norm_row({.x = {4, 3, 3, 2}, .weights = 0}), false, true);
  add(batch_norm_row({.x = {4, 3, 3, 2}, .running = false}), false, true);
  add(batch_norm_row({.x = {4, 3, 3, 2}, .training = false}), false, true);
  add(batch_norm_row({.x = {5, 3}, .eps = 1e-3, .lo = -1, .hi = 2}), false, true);
  add(batch_norm_row({.x = {5, 3}, .training = false, .lo = -1, .hi = 2}), false, true);
  add(running_row({.x = {4, 3, 3, 2}}), false, true);
  add(running_row({.x = {5, 3}, .momentum = 0.3, .lo = -1, .hi = 2}), false, true);

  // Float64 finite differences of x, weight and bias, training and eval; [N, C] with batch
  // statistics; weight only.
  for (bool training : {true, false}) {
    add(batch_norm_row({.x = {3, 3, 2, 2}, .training = training, .lo = -2, .hi = 2}), true, false);
    add(batch_norm_row({.x = {3, 3, 2, 2}, .weights = 0, .training = training, .eps = 1e-3, .lo = -2, .hi = 2}), true,
        false);
  }
  add(batch_norm_row({.x = {4, 3}, .running = false, .lo = -1, .hi = 1}), true, false);
  add(batch_norm_row({.x = {4, 3}, .weights = 1, .running = false, .lo = -1, .hi = 1}), true, false);

  // CUDA against the CPU: block trees over 40x50 maps and over 300 images, one pixel per image,
  // no affine; eval with running statistics and with the batch's; the running update.
  for (const auto& [x, weights] : {std::pair{Shape{4, 3, 5, 7}, 2}, std::pair{Shape{2, 16, 9, 9}, 0},
                                   std::pair{Shape{64, 10}, 2}, std::pair{Shape{3, 5, 1, 1}, 2},
                                   std::pair{Shape{1, 2, 40, 50}, 2}, std::pair{Shape{300, 4, 3, 3}, 2}}) {
    for (bool training : {true, false}) t.push_back(batch_norm_row({.x = x, .weights = weights, .training = training}));
    t.push_back(batch_norm_row({.x = x, .weights = weights, .training = false, .running = false}));
    t.push_back(running_row({.x = x}));
  }
  // The fused ReLU: PyTorch's F.relu(F.batch_norm(...)), finite differences (x in [-2, 2] puts about
  // half the values below zero), CUDA against the CPU; training and eval, affine or not.
  for (bool training : {true, false}) {
    add(batch_norm_row({.x = {4, 3, 3, 2}, .training = training, .relu = true}), false, true);
    add(batch_norm_row({.x = {3, 3, 2, 2}, .training = training, .lo = -2, .hi = 2, .relu = true}), true, false);
    add(batch_norm_row({.x = {3, 3, 2, 2}, .weights = 0, .training = training, .lo = -2, .hi = 2, .relu = true}), true,
        false);
    t.push_back(batch_norm_row({.x = {4, 3, 5, 7}, .training = training, .relu = true}));
    t.push_back(batch_norm_row({.x = {300, 4, 3, 3}, .training = training, .relu = true}));
  }
  add(batch_norm_row({.x = {5, 3}, .weights = 1, .running = false, .lo = -1, .hi = 2, .relu = true}), false, true);

  // NHWC storage seen as NCHW, with a large mean (100 + U(-1, 1)): the statistics lose ~2 digits.
  OpCase large = batch_norm_row({.x = {4, 8, 6, 5}, .running = false, .lo = 99, .hi = 101, .nhwc = true});
  large.cuda32 = large.cuda32_grad = {2e-4, 2e-4};
  large.cuda64 = large.cuda64_grad = {1e-10, 1e-10};
  large.fwd64 = {1e-10, 1e-10}, large.fwd32 = {1e-4, 1e-4};
  t.push_back(large);
  return t;
}
