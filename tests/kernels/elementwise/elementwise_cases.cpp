// The elementwise case table: unary and binary ops (with broadcasting), comparisons and where, each
// against its std:: formula per element in float64, by float64 finite differences, against PyTorch
// (tools/goldens/elementwise.py), and CUDA against CPU on odd sizes, a million elements, 0-d
// tensors and non-contiguous views.
#include <cmath>
#include <functional>

#include "kernels/common/checks.h"
#include "tests/op_cases.h"

namespace oc::test {
namespace {

using json = nlohmann::ordered_json;

// Per element in float64, broadcasting the inputs to the output's shape first.
Tensor per_element(const std::vector<Tensor>& in, const std::function<double(const std::vector<double>&)>& f) {
  Shape shape = in[0].shape();
  for (size_t i = 1; i < in.size(); ++i) shape = broadcast_shapes(shape, in[i].shape(), "reference");
  std::vector<std::vector<double>> v;
  for (const Tensor& t : in) v.push_back(to_vector<double>(contiguous(broadcast_view(t, shape))));
  std::vector<double> out(shape_numel(shape)), args(in.size());
  for (size_t e = 0; e < out.size(); ++e) {
    for (size_t i = 0; i < in.size(); ++i) args[i] = v[i][e];
    out[e] = f(args);
  }
  return from_vector(out, shape);
}

// Moves values within 0.05 of a kink of relu/abs/clamp/sign (0, -0.5, 0.7) off it, so finite
// differences see one smooth piece.
Tensor away_from_kinks(const Tensor& x) {
  std::vector<double> v = to_vector<double>(x);
  for (double& e : v)
    for (double k : {0.0, -0.5, 0.7})
      if (std::fabs(e - k) < 0.05) e = k + 0.1;
  return from_vector(v, x.shape());
}

// Values in {0, 1, ..., levels - 1}: plenty of ties for maximum/minimum and the comparisons.
Tensor quantized(const Shape& shape, uint64_t seed, int levels) {
  return to(to(rand(shape, seed, 0, levels - 1e-3, DType::f64), DType::i32), DType::f64);
}

struct Unary {
  const char* op;
  json params;  // the op's constants (PyTorch reads them too)
  std::function<Tensor(const Tensor&, const json&)> fn;
  std::function<double(double, const json&)> ref;
  double lo, hi;    // where the op is smooth and defined (forward, gradient, goldens)
  double plo, phi;  // the CUDA sweep's range
};

std::vector<Unary> unary_ops() {
  using T = const Tensor&;
  using J = const json&;
  return {
      {"neg", {}, [](T x, J) { return neg(x); }, [](double v, J) { return -v; }, -2, 2, -2, 2},
      {"exp", {}, [](T x, J) { return exp(x); }, [](double v, J) { return std::exp(v); }, -2, 2, -3, 3},
      {"log", {}, [](T x, J) { return log(x); }, [](double v, J) { return std::log(v); }, 0.2, 3, 0.1, 3},
      {"sqrt", {}, [](T x, J) { return sqrt(x); }, [](double v, J) { return std::sqrt(v); }, 0.2, 3, 0.1, 3},
      {"rsqrt", {}, [](T x, J) { return rsqrt(x); }, [](double v, J) { return 1 / std::sqrt(v); }, 0.2, 3, 0.1, 3},
      {"abs", {}, [](T x, J) { return abs(x); }, [](double v, J) { return std::fabs(v); }, -2, 2, -2, 2},
      {"sign", {}, [](T x, J) { return sign(x); }, [](double v, J) { return double((v > 0) - (v < 0)); }, -2, 2, -2, 2},
      {"relu", {}, [](T x, J) { return relu(x); }, [](double v, J) { return v > 0 ? v : 0; }, -2, 2, -2, 2},
      {"leaky_relu", {{"slope", 0.1}}, [](T x, J p) { return leaky_relu(x, p["slope"]); },
       [](double v, J p) { return v > 0 ? v : p["slope"].get<double>() * v; }, -2, 2, -2, 2},
      {"sigmoid", {}, [](T x, J) { return sigmoid(x); }, [](double v, J) { return 1 / (1 + std::exp(-v)); }, -4, 4, -8, 8},
      {"tanh", {}, [](T x, J) { return tanh(x); }, [](double v, J) { return std::tanh(v); }, -2, 2, -3, 3},
      {"clamp", {{"lo", -0.5}, {"hi", 0.7}}, [](T x, J p) { return clamp(x, p["lo"], p["hi"]); },
       [](double v, J p) { return std::min(p["hi"].get<double>(), std::max(p["lo"].get<double>(), v)); }, -2, 2, -2, 2},
      {"pow_scalar", {{"exponent", 2.5}}, [](T x, J p) { return pow(x, p["exponent"].get<double>()); },
       [](double v, J p) { return std::pow(v, p["exponent"].get<double>()); }, 0.2, 2, 0.1, 2},
      {"add_scalar", {{"scalar", 1.5}}, [](T x, J p) { return x + p["scalar"].get<double>(); },
       [](double v, J p) { return v + p["scalar"].get<double>(); }, -2, 2, -2, 2},
      {"mul_scalar", {{"scalar", -3.0}}, [](T x, J p) { return x * p["scalar"].get<double>(); },
       [](double v, J p) { return v * p["scalar"].get<double>(); }, -2, 2, -2, 2},
      {"rsub_scalar", {{"scalar", 2.0}}, [](T x, J p) { return p["scalar"].get<double>() - x; },
       [](double v, J p) { return p["scalar"].get<double>() - v; }, -2, 2, -2, 2},
      {"rdiv_scalar", {{"scalar", 2.0}}, [](T x, J p) { return p["scalar"].get<double>() / x; },
       [](double v, J p) { return p["scalar"].get<double>() / v; }, 0.5, 2, 0.5, 2},
  };
}

struct Binary {
  const char* op;
  Tensor (*fn)(const Tensor&, const Tensor&);
  std::function<double(double, double)> ref;
  double lo, hi;
};

std::vector<Binary> binary_ops() {
  return {
      {"add", add, [](double x, double y) { return x + y; }, -2, 2},
      {"sub", sub, [](double x, double y) { return x - y; }, -2, 2},
      {"mul", mul, [](double x, double y) { return x * y; }, -2, 2},
      {"div", div, [](double x, double y) { return x / y; }, 0.5, 2},
      {"pow", pow, [](double x, double y) { return std::pow(x, y); }, 0.5, 2},
      {"maximum", maximum, [](double x, double y) { return std::max(x, y); }, -2, 2},
      {"minimum", minimum, [](double x, double y) { return std::min(x, y); }, -2, 2},
  };
}

// float32: CUDA's expf/logf/tanhf/powf are within 1-4 ulp (CUDA C Programming Guide, "Mathematical
// Functions"), glibc's within 1, and nvcc fuses a*b+c into one FMA where the CPU build rounds twice:
// a few ulp of float (1.2e-7 relative). Gradients chain 2-4 such ops. float64: the same in double ulps.
void elementwise_bounds(OpCase& c) {
  c.fwd64 = {1e-14, 1e-14}, c.fwd32 = {1e-6, 1e-6};
  c.cuda32 = {1e-6, 2e-6}, c.cuda32_grad = {1e-5, 1e-5};
  c.cuda64 = {1e-14, 1e-13}, c.cuda64_grad = {1e-13, 1e-12};
}

// view: "" (the input as drawn), "transpose" ([33, 65] read as [65, 33]) or "slice" (every third
// column of [5, 65] from 1).
OpCase unary_row(const Unary& u, const Shape& shape, double lo, double hi, const std::string& view = "") {
  OpCase c;
  c.op = u.op;
  c.shapes = {shape};
  c.params = u.params;
  c.params["x"] = str_cat("U(", lo, " ", hi, ")");
  if (!view.empty()) c.params["view"] = view;
  c.inputs = [shape, lo, hi](DType dt, uint64_t seed) {
    return std::vector<Tensor>{to(away_from_kinks(rand(shape, seed, lo, hi, DType::f64)), dt)};
  };
  auto viewed = [view](const Tensor& x) {
    return view == "transpose" ? transpose(x, 0, 1) : view == "slice" ? slice(x, 1, 1, 64, 3) : x;
  };
  c.run = [u, p = c.params, viewed](const std::vector<Tensor>& in) { return u.fn(viewed(in[0]), p); };
  c.reference = [u, p = c.params, viewed](const std::vector<Tensor>& in) {
    return per_element({viewed(in[0])}, [&](const std::vector<double>& a) { return u.ref(a[0], p); });
  };
  elementwise_bounds(c);
  return c;
}

OpCase binary_row(const Binary& b, const Shape& sa, const Shape& sb, const std::string& inputs = "",
                  const std::string& view = "") {
  OpCase c;
  c.op = b.op;
  c.shapes = {sa, sb};
  const bool ties = inputs == "ties";
  c.params["x"] = ties ? std::string("4 levels") : str_cat("U(", b.lo, " ", b.hi, ")");
  if (!view.empty()) c.params["view"] = view;
  c.inputs = [=, lo = b.lo, hi = b.hi](DType dt, uint64_t seed) {
    if (ties) return std::vector<Tensor>{to(quantized(sa, seed, 4), dt), to(quantized(sb, seed + 1, 4), dt)};
    return std::vector<Tensor>{to(rand(sa, seed, lo, hi, DType::f64), dt), to(rand(sb, seed + 1, lo, hi, DType::f64), dt)};
  };
  // view: a transposed [65, 33] against every second row of a [130, 1] column.
  auto viewed = [view](const std::vector<Tensor>& in) {
    return view.empty() ? in : std::vector<Tensor>{transpose(in[0], 0, 1), slice(in[1], 0, 0, 130, 2)};
  };
  c.run = [fn = b.fn, viewed](const std::vector<Tensor>& in) {
    const std::vector<Tensor> v = viewed(in);
    return fn(v[0], v[1]);
  };
  c.reference = [ref = b.ref, viewed](const std::vector<Tensor>& in) {
    return per_element(viewed(in), [&](const std::vector<double>& a) { return ref(a[0], a[1]); });
  };
  elementwise_bounds(c);
  if (ties) c.cuda32 = c.cuda64 = kExact;  // ties go half and half on both devices
  return c;
}

using Compare = Tensor (*)(const Tensor&, const Tensor&);

OpCase compare_row(const char* op, Compare fn, std::function<bool(double, double)> ref, const Shape& sa,
                   const Shape& sb, bool transposed) {
  OpCase c;
  c.op = op;
  c.shapes = {sa, sb};
  c.params["x"] = "3 levels";
  if (transposed) c.params["view"] = "transpose(0 2)";
  c.inputs = [sa, sb](DType dt, uint64_t seed) {
    return std::vector<Tensor>{to(quantized(sa, seed, 3), dt), to(quantized(sb, seed + 1, 3), dt)};
  };
  c.run = [fn, transposed](const std::vector<Tensor>& in) { return fn(transposed ? transpose(in[0], 0, 2) : in[0], in[1]); };
  c.reference = [ref, transposed](const std::vector<Tensor>& in) {
    return per_element({transposed ? transpose(in[0], 0, 2) : in[0], in[1]},
                       [&](const std::vector<double>& a) { return double(ref(a[0], a[1])); });
  };
  c.fwd64 = c.fwd32 = c.cuda32 = c.cuda64 = kExact;
  return c;
}

// where(cond, a, b): cond "a>b" (computed from a and b), "bool" (a bool input) or "float" (a float
// input of 0s and 1s: nonzero is true).
OpCase where_row(const Shape& sa, const Shape& sb, const Shape& sc, const std::string& cond) {
  OpCase c;
  c.op = "where";
  c.shapes = {sa, sb};
  if (cond != "a>b") c.shapes.push_back(sc);
  c.params["cond"] = cond;
  c.inputs = [=](DType dt, uint64_t seed) {
    std::vector<Tensor> v{to(rand(sa, seed, -1, 1, DType::f64), dt), to(rand(sb, seed + 1, -1, 1, DType::f64), dt)};
    if (cond == "bool") v.push_back(gt(rand(sc, seed + 2), zeros({})));
    if (cond == "float") v.push_back(to(quantized(sc, seed + 2, 2), dt));
    return v;
  };
  c.run = [cond](const std::vector<Tensor>& in) {
    return where(cond == "a>b" ? gt(in[0], in[1]) : in[2], in[0], in[1]);
  };
  c.reference = [cond](const std::vector<Tensor>& in) {
    std::vector<Tensor> abc = in;
    if (cond == "a>b") abc.push_back(gt(in[0], in[1]));
    return per_element(abc, [](const std::vector<double>& a) { return a[2] != 0 ? a[0] : a[1]; });
  };
  elementwise_bounds(c);
  c.cuda32 = c.cuda64 = kExact;
  return c;
}

}  // namespace
}  // namespace oc::test

OC_OP_CASES(elementwise) {
  std::vector<OpCase> t;
  for (const Unary& u : unary_ops()) {
    OpCase g = unary_row(u, {4, 6}, u.lo, u.hi);
    g.gradient = u.op != std::string("sign");  // sign's gradient is zero, its differences too: nothing to check
    g.golden = true;
    t.push_back(g);
    t.push_back(unary_row(u, {3, 5, 7}, u.lo, u.hi));
    // CUDA: odd sizes, 0-d, a million elements (the threaded and the vectorized paths), strided views.
    for (const Shape& shape : {Shape{1}, Shape{7}, Shape{}, Shape{1000003}})
      t.push_back(unary_row(u, shape, u.plo, u.phi));
    t.push_back(unary_row(u, {33, 65}, u.plo, u.phi, "transpose"));
    t.push_back(unary_row(u, {5, 65}, u.plo, u.phi, "slice"));
  }
  for (const Binary& b : binary_ops()) {
    // Gradients with broadcast inputs, both ways round.
    for (const auto& [sa, sb] : std::vector<std::pair<Shape, Shape>>{{{3, 4}, {4}}, {{1, 1}, {3, 4}}, {{3, 1, 4}, {2, 4}}}) {
      OpCase g = binary_row(b, sa, sb);
      g.gradient = g.golden = true;
      t.push_back(g);
    }
    for (const auto& [sa, sb] : std::vector<std::pair<Shape, Shape>>{
             {{4, 1, 5}, {3, 1}}, {{7}, {7}}, {{1}, {1}}, {{5, 1, 7}, {3, 1}}, {{1}, {1000003}}, {{1000003}, {1000003}}, {{}, {4, 3}}})
      t.push_back(binary_row(b, sa, sb));
    t.push_back(binary_row(b, {33, 65}, {130, 1}, "", "transpose+slice"));
    if (b.op == std::string("maximum") || b.op == std::string("minimum")) t.push_back(binary_row(b, {37, 41}, {41}, "ties"));
  }
  const std::vector<std::tuple<const char*, Compare, std::function<bool(double, double)>>> compares = {
      {"eq", eq, [](double a, double b) { return a == b; }}, {"ne", ne, [](double a, double b) { return a != b; }},
      {"lt", lt, [](double a, double b) { return a < b; }},  {"le", le, [](double a, double b) { return a <= b; }},
      {"gt", gt, [](double a, double b) { return a > b; }},  {"ge", ge, [](double a, double b) { return a >= b; }}};
  for (const auto& [op, fn, ref] : compares) {
    OpCase g = compare_row(op, fn, ref, {3, 1, 4}, {2, 4}, false);
    g.golden = true;
    t.push_back(g);
    t.push_back(compare_row(op, fn, ref, {9, 1, 13}, {5, 13}, false));
    t.push_back(compare_row(op, fn, ref, {13, 1, 9}, {13}, true));
  }
  for (OpCase w : {where_row({3, 4}, {4}, {3, 4}, "bool"), where_row({3, 1, 4}, {2, 4}, {3, 1, 4}, "bool")}) {
    w.gradient = w.golden = true;
    t.push_back(w);
  }
  t.push_back(where_row({6, 1, 7}, {5, 7}, {}, "a>b"));
  t.push_back(where_row({6, 1, 7}, {5, 7}, {5, 1}, "float"));
  return t;
}
