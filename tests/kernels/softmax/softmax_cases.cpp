// The softmax case table: softmax and log_softmax along any axis against exp(x - max) / sum in
// float64, by float64 finite differences, against PyTorch (tools/goldens/softmax.py), and CUDA
// against CPU on short, long and many rows, and on logits whose exp overflows float.
#include <cmath>
#include <limits>

#include "tests/kernels/reduce/reduce_reference.h"
#include "tests/op_cases.h"

namespace oc::test {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity(), kNaN = std::numeric_limits<double>::quiet_NaN();

OpCase row(const std::string& op, const Shape& shape, int64_t axis, double range, const std::string& view = "") {
  OpCase c;
  c.op = op;
  c.shapes = {shape};
  c.params = {{"axis", axis}, {"x", str_cat("U(", -range, " ", range, ")")}};
  if (!view.empty()) c.params["view"] = view;
  c.inputs = uniform_inputs({shape}, -range, range);
  const bool log_of = op == "log_softmax";
  auto viewed = [view](const Tensor& x) { return view == "transpose" ? transpose(x, 0, 1) : x; };
  c.run = [=](const std::vector<Tensor>& in) {
    return log_of ? log_softmax(viewed(in[0]), axis) : softmax(viewed(in[0]), axis);
  };
  c.reference = [=](const std::vector<Tensor>& in) {
    return rowwise_reference(viewed(in[0]), axis, [log_of](double* v, int64_t n) {
      const double m = *std::max_element(v, v + n);
      double s = 0;
      for (int64_t i = 0; i < n; ++i) s += std::exp(v[i] - m);
      for (int64_t i = 0; i < n; ++i) v[i] = log_of ? v[i] - m - std::log(s) : std::exp(v[i] - m) / s;
    });
  };
  // The kernels take the max in the scalar type, exp and sum in double: float32 agrees to about
  // 1 ulp; log_softmax subtracts log(sum) in float: ulp of the result.
  c.fwd64 = log_of ? Tol{1e-13, 1e-12} : Tol{1e-15, 1e-12};
  c.fwd32 = log_of ? Tol{1e-5, 1e-6} : Tol{1e-7, 1e-6};
  c.cuda32 = log_of ? Tol{1e-6, 1e-6} : Tol{1e-7, 1e-6};
  c.cuda64 = log_of ? Tol{1e-13, 1e-13} : Tol{1e-15, 1e-13};
  // Gradients: softmax's s (g - sum(g s)) as its output; log_softmax's g - exp(y) sum(g) carries y's
  // error (the forward bound) times exp(y) sum(g), which is about |g| (up to 1).
  c.cuda32_grad = {1e-6, 1e-5};
  c.cuda64_grad = log_of ? Tol{1e-13, 1e-12} : Tol{1e-14, 1e-12};
  return c;
}

}  // namespace
}  // namespace oc::test

OC_OP_CASES(softmax) {
  std::vector<OpCase> t;
  for (const char* op : {"softmax", "log_softmax"}) {
    for (int64_t axis : {0, 1, 2, -1}) {
      OpCase c = row(op, {3, 4, 5}, axis, 3);
      c.golden = true;
      t.push_back(c);
    }
    for (int64_t axis : {0, 1}) {
      OpCase c = row(op, {3, 4}, axis, 2);
      c.gradient = c.golden = true;
      t.push_back(c);
    }
    // CUDA: short rows, long rows, many rows, exp(80) past float's range (only the max subtraction
    // keeps it finite), a transposed view.
    for (const auto& [shape, axis, range] : std::vector<std::tuple<Shape, int64_t, double>>{
             {{1}, 0, 1}, {{7}, 0, 1}, {{}, 0, 1}, {{1000, 10}, 1, 5}, {{37, 5}, 0, 5}, {{3, 2000}, 1, 5},
             {{2, 1000003}, -1, 5}, {{4, 33}, 1, 80}, {{4, 3000}, 1, 300}})
      t.push_back(row(op, shape, axis, range));
    t.push_back(row(op, {50, 20}, -1, 3, "transpose"));
    // -inf logits (first in a row, all but one, every one: a NaN row) and a NaN logit, on short
    // rows (a warp each) and long ones (a block each).
    for (int64_t n : {40, 3000}) {
      std::vector<std::pair<int64_t, double>> specials = {{0, -kInf}, {1, -kInf}, {n + 5, kNaN}};
      for (int64_t i = 2 * n; i < 3 * n; ++i) specials.push_back({i, i == 2 * n + 7 ? 0.5 : -kInf});
      for (int64_t i = 3 * n; i < 4 * n; ++i) specials.push_back({i, -kInf});
      OpCase c = row(op, {4, n}, 1, 3);
      c.params["x"] = "-inf and NaN";
      c.inputs = with_values(c.inputs, specials);
      t.push_back(c);
    }
  }
  return t;
}
