// The fill case table: full, eye, arange, linspace and fill_ on a strided view, against their
// formulas in float64 and CUDA against CPU in every dtype. They take no tensor: an empty tensor
// (device_marker) says on which device and in which dtype to create the result.
#include "tests/op_cases.h"

namespace oc::test {
namespace {

using json = nlohmann::ordered_json;
using Values = std::function<std::vector<double>()>;

const std::vector<DType> kAll = {DType::f32, DType::f64, DType::bf16, DType::i32, DType::i64, DType::u8, DType::b8};

// make(device, dtype) creates the result; want() lists its values in float64, row-major.
OpCase row(const std::string& op, json params, const Shape& out_shape,
           std::function<Tensor(Device, DType)> make, Values want, std::vector<DType> dtypes = kAll) {
  OpCase c;
  c.op = op;
  c.params = std::move(params);
  c.inputs = device_marker();
  c.run = [make](const std::vector<Tensor>& in) { return make(in[0].device(), in[0].dtype()); };
  c.reference = [want, out_shape](const std::vector<Tensor>&) { return from_vector(want(), out_shape); };
  // float32 holds start + i * step (computed in double) to half an ulp.
  c.fwd64 = kExact, c.fwd32 = {0, 1e-7};
  c.parity_dtypes = std::move(dtypes);
  c.parity_grads = false;
  c.cuda32 = c.cuda64 = kExact;
  return c;
}

Values series(double start, double step, int64_t n) {
  return [=] {
    std::vector<double> v;
    for (int64_t i = 0; i < n; ++i) v.push_back(start + double(i) * step);
    return v;
  };
}

}  // namespace
}  // namespace oc::test

OC_OP_CASES(fill) {
  std::vector<OpCase> t;
  for (int64_t n : {int64_t{1}, int64_t{4}, int64_t{1000003}})
    for (double v : {0.0, 1.0, 2.75, -0.0})
      t.push_back(row("full", {{"shape", {n}}, {"value", v}}, {n},
                      [n, v](Device d, DType dt) { return full({n}, v, dt, d); },
                      [n, v] { return std::vector<double>(n, v); }));
  for (const auto& [n, m] : std::vector<std::pair<int64_t, int64_t>>{{7, 5}, {300, -1}, {2, 3}}) {
    const int64_t cols = m < 0 ? n : m;
    t.push_back(row("eye", {{"n", n}, {"m", m}}, {n, cols}, [n, m](Device d, DType dt) { return eye(n, m, dt, d); },
                    [n, cols] {
                      std::vector<double> v(n * cols, 0.0);
                      for (int64_t i = 0; i < std::min(n, cols); ++i) v[i * cols + i] = 1;
                      return v;
                    }));
  }
  // fill_ on a transposed, stepped view leaves the rest alone.
  t.push_back(row("fill_", {{"shape", {30, 40}}, {"view", "transpose(0 1) slice(0 1 40 3)"}, {"value", 3}}, {30, 40},
                  [](Device d, DType dt) {
                    Tensor c = zeros({30, 40}, dt, d);
                    fill_(slice(transpose(c, 0, 1), 0, 1, 40, 3), 3);
                    return c;
                  },
                  [] {
                    std::vector<double> v(30 * 40, 0.0);
                    for (int64_t r = 0; r < 30; ++r)
                      for (int64_t col = 1; col < 40; col += 3) v[r * 40 + col] = 3;
                    return v;
                  }));
  // arange multiplies then adds in double on both devices: exact. (u8 and bool hold neither
  // 1000003 values nor negative ones.)
  const std::vector<DType> wide = {DType::f32, DType::f64, DType::bf16, DType::i32, DType::i64};
  t.push_back(row("arange", {{"start", 0}, {"end", 1000003}, {"step", 1}}, {1000003},
                  [](Device d, DType dt) { return arange(0, 1000003, 1, dt, d); }, series(0, 1, 1000003), wide));
  t.push_back(row("arange", {{"start", 0}, {"end", 200}, {"step", 0.37}}, {541},
                  [](Device d, DType dt) { return arange(0, 200, 0.37, dt, d); }, series(0, 0.37, 541)));
  std::vector<DType> no_u8 = kAll;
  no_u8.erase(std::find(no_u8.begin(), no_u8.end(), DType::u8));
  t.push_back(row("arange", {{"start", 5}, {"end", -3}, {"step", -0.5}}, {16},
                  [](Device d, DType dt) { return arange(5, -3, -0.5, dt, d); }, series(5, -0.5, 16), no_u8));
  // linspace: start + step * i rounded op by op on both devices (linspace_value, no FMA): CUDA is
  // exact (the series below checks the values).
  for (int64_t n : {int64_t{1}, int64_t{2}, int64_t{7}, int64_t{1000003}}) {
    const double step = n > 1 ? 13.0 / double(n - 1) : 0;
    auto make = [n](Device d, DType dt) { return linspace(-3, 10, n, dt, d); };
    auto want = [n, step] {
      std::vector<double> v = series(-3, step, n)();
      v.back() = n > 1 ? 10 : -3;  // the end point exact
      return v;
    };
    for (const std::vector<DType>& dtypes : std::vector<std::vector<DType>>{
             {DType::f64, DType::f32}, {DType::bf16}, {DType::i32, DType::i64, DType::b8}}) {
      OpCase c = row("linspace", {{"start", -3}, {"end", 10}, {"steps", n}, {"dtypes", dtype_name(dtypes[0])}}, {n}, make,
                     want, dtypes);
      c.cuda32 = c.cuda64 = kExact;
      c.fwd64 = {1e-14, 1e-15}, c.fwd32 = {0, 1e-7};
      if (dtypes[0] != DType::f64) c.reference = nullptr;  // one forward check is enough
      t.push_back(c);
    }
  }
  return t;
}
