// The reduction case table: sum, mean, var, max, min, argmax, argmin over any axes, with keepdim,
// against plain loops in float64, by float64 finite differences, against PyTorch
// (tools/goldens/reduce.py), and CUDA against CPU over every layout of rows the kernels choose
// between (one warp, a block per row, rows split over blocks) and with ties.
#include <cmath>
#include <limits>

#include "tests/kernels/reduce/reduce_reference.h"
#include "tests/op_cases.h"

namespace oc::test {
namespace {

using Ref = std::function<double(const double*, int64_t)>;

double row_sum(const double* v, int64_t n) { return std::accumulate(v, v + n, 0.0); }
double row_var(const double* v, int64_t n, double correction) {
  const double m = row_sum(v, n) / double(n);
  double ss = 0;
  for (int64_t i = 0; i < n; ++i) ss += (v[i] - m) * (v[i] - m);
  return ss / (double(n) - correction);
}
// The first extreme wins (NaN beats everything).
int64_t row_arg(const double* v, int64_t n, bool largest) {
  int64_t best = 0;
  for (int64_t i = 1; i < n && !std::isnan(v[best]); ++i)
    if (std::isnan(v[i]) || (largest ? v[i] > v[best] : v[i] < v[best])) best = i;
  return best;
}

// Values in {0, 1, ..., levels - 1}: every row full of ties (max/argmax pick by index).
Tensor quantized(const Shape& shape, uint64_t seed, int levels) {
  return to(to(rand(shape, seed, 0, levels - 1e-3, DType::f64), DType::i32), DType::f64);
}

// op: sum | mean | var | max | min | argmax | argmin. axes empty: all. view "transpose": a [65, 33]
// input read transposed. ties: values from 5 levels.
OpCase row(const std::string& op, const Shape& shape, const Axes& axes, bool keepdim, bool ties = false,
           double correction = 1, const std::string& view = "") {
  OpCase c;
  c.op = op;
  c.shapes = {shape};
  const bool arg = op == "argmax" || op == "argmin";
  if (arg) c.params["axis"] = axes[0];
  else c.params["axes"] = axes;
  c.params["keepdim"] = keepdim;
  if (op == "var") c.params["correction"] = correction;
  if (ties) c.params["x"] = "5 levels";
  if (!view.empty()) c.params["view"] = view;
  c.inputs = [shape, ties](DType dt, uint64_t seed) {
    return std::vector<Tensor>{to(ties ? quantized(shape, seed, 5) : rand(shape, seed, -1, 1, DType::f64), dt)};
  };
  auto viewed = [view](const Tensor& x) { return view == "transpose" ? transpose(x, 0, 1) : x; };
  c.run = [=](const std::vector<Tensor>& in) {
    const Tensor x = viewed(in[0]);
    if (op == "sum") return sum(x, axes, keepdim);
    if (op == "mean") return mean(x, axes, keepdim);
    if (op == "var") return var(x, axes, correction, keepdim);
    if (op == "max") return max(x, axes, keepdim);
    if (op == "min") return min(x, axes, keepdim);
    return op == "argmax" ? argmax(x, axes[0], keepdim) : argmin(x, axes[0], keepdim);
  };
  const Ref f = op == "sum"    ? Ref(row_sum)
                : op == "mean" ? Ref([](const double* v, int64_t n) { return row_sum(v, n) / double(n); })
                : op == "var"  ? Ref([correction](const double* v, int64_t n) { return row_var(v, n, correction); })
                : op == "max"  ? Ref([](const double* v, int64_t n) { return v[row_arg(v, n, true)]; })
                : op == "min"  ? Ref([](const double* v, int64_t n) { return v[row_arg(v, n, false)]; })
                               : Ref([op](const double* v, int64_t n) { return double(row_arg(v, n, op == "argmax")); });
  c.reference = [=](const std::vector<Tensor>& in) { return reduce_reference(viewed(in[0]), axes, keepdim, f); };
  // Both devices sum in double (float32 too) and round once: float32 agrees to about 1 ulp; var and
  // mean add one division and an elementwise pass. max, min and the arg ops pick the same element.
  const bool exact = op == "max" || op == "min" || arg;
  c.fwd64 = exact ? kExact : Tol{1e-12, 1e-12};
  c.fwd32 = exact ? kExact : op == "var" ? Tol{1e-6, 1e-5} : Tol{1e-6, 1e-6};
  c.cuda32 = exact ? kExact : op == "var" ? Tol{1e-5, 1e-5} : Tol{1e-6, 1e-6};
  c.cuda64 = exact ? kExact : op == "var" ? Tol{1e-11, 1e-11} : Tol{1e-12, 1e-12};
  // Gradients split among tied maxima (a division by a count).
  c.cuda32_grad = exact ? Tol{1e-6, 1e-6} : Tol{1e-5, 1e-5};
  c.cuda64_grad = exact ? Tol{1e-14, 1e-14} : Tol{1e-12, 1e-12};
  return c;
}

}  // namespace
}  // namespace oc::test

OC_OP_CASES(reduce) {
  std::vector<OpCase> t;
  // A middle axis, all axes, a negative axis; var with both corrections.
  for (const char* op : {"sum", "mean", "max", "min"}) t.push_back(row(op, {3, 5, 4}, {1}, false));
  t.push_back(row("min", {3, 5, 4}, {-2}, false));
  t.push_back(row("sum", {3, 5, 4}, {}, false));
  t.push_back(row("var", {4, 6}, {1}, false, false, 0));
  t.push_back(row("var", {4, 6}, {1}, false, false, 1));
  // Gradients and PyTorch's numbers.
  t.push_back(with_checks(row("sum", {3, 4, 5}, {0, 2}, false)));
  t.push_back(with_checks(row("sum", {3, 4, 5}, {}, false)));
  t.push_back(with_checks(row("mean", {3, 4, 5}, {1}, true)));
  t.push_back(with_checks(row("var", {3, 4, 5}, {2}, false)));
  t.push_back(with_checks(row("var", {3, 4, 5}, {}, false, false, 0)));
  t.push_back(with_checks(row("max", {3, 4, 5}, {1}, false)));
  t.push_back(with_checks(row("min", {3, 4, 5}, {0, 1}, false), true, false));
  t.push_back(with_checks(row("min", {3, 4, 5}, {0, 1}, true)));
  t.push_back(with_checks(row("argmax", {3, 4, 5}, {2}, false), false, true));
  t.push_back(with_checks(row("argmin", {3, 4, 5}, {0}, true), false, true));
  // CUDA: one element, one warp, one long row split over many blocks and reduced again, few long
  // rows (split), several rows and segments, >= 2 rows per SM (a block each), a block per row, the
  // reduced axis moved last (a permuted copy), a million short rows (a warp each; 20011 emulated),
  // two axes, an empty reduced axis (zeros).
  const std::vector<std::pair<Shape, Axes>> layouts = {
      {{1}, {}},           {{7}, {}},           {{1000003}, {}},    {{3, 1000003}, {1}}, {{40, 70000}, {1}},
      {{300, 5000}, {1}},  {{2000, 1500}, {1}}, {{2000, 1500}, {0}}, {{gpu_scale(1000003, 20011), 3}, {1}}, {{4, 5, 6}, {0, 2}},
      {{4, 5, 6}, {-1}},   {{3, 0, 2}, {1}}};
  for (const auto& [shape, axes] : layouts) {
    for (bool keep : {false, true}) {
      t.push_back(row("sum", shape, axes, keep));
      if (shape_numel(shape) > 0) t.push_back(row("mean", shape, axes, keep));
    }
    if (shape_numel(shape) > 1) t.push_back(row("var", shape, axes, false));
  }
  t.push_back(row("sum", {65, 33}, {1}, false, false, 1, "transpose"));
  // Ties (5 levels): the same element on both devices; and distinct values.
  const std::vector<std::pair<Shape, int64_t>> tie_layouts = {
      {{1}, 0},         {{7}, 0},           {{2000, 37}, 1}, {{37, 2000}, 1}, {{37, 2000}, 0},
      {{3, 1000003}, 1}, {{40, 70000}, 1}, {{1000003}, 0},  {{4, 5, 6}, 1}};
  for (const auto& [shape, axis] : tie_layouts) {
    t.push_back(row("max", shape, {axis}, false, true));
    t.push_back(row("min", shape, {axis}, true, true));
    t.push_back(row("max", shape, {}, false, true));
    t.push_back(row("argmax", shape, {axis}, false, true));
    t.push_back(row("argmin", shape, {axis}, true, true));
    t.push_back(row("argmax", shape, {axis}, false));
    t.push_back(row("min", shape, {axis}, false));
  }
  return t;
}
