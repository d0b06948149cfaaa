// The copy case table: cat, stack, split, pad, clone and dtype conversions, by float64 finite
// differences, against PyTorch (tools/goldens/copy.py), and CUDA against CPU, every dtype pair on
// contiguous and strided sources. Values by hand: test_copy.cpp.
#include <cmath>
#include <limits>

#include "tests/op_cases.h"

namespace oc::test {
namespace {

using json = nlohmann::ordered_json;

// Pure data movement: exact; the gradients sum or slice: nearly exact.
OpCase row(const std::string& op, const std::vector<Shape>& shapes, json params, OpFn run) {
  OpCase c;
  c.op = op;
  c.shapes = shapes;
  c.params = std::move(params);
  c.inputs = uniform_inputs(shapes);
  c.run = std::move(run);
  c.cuda32 = c.cuda64 = kExact;
  c.cuda32_grad = c.cuda64_grad = {1e-6, 1e-6};
  return c;
}

// to(dtype) from `from` to `to`; view: "" | "transpose" | "slice" (every third column from 1).
// Sources in [0, 250) with exact zeros (bool sees both values) and fractions (truncation, bf16
// rounding), or [-300, 300) ("signed"); a float outside an integer type's range converts with
// undefined behaviour on either device, so the sources stay inside.
OpCase to_row(DType from, DType to_dtype, const Shape& shape, const std::string& view, bool signed_values = false) {
  OpCase c;
  c.op = "to";
  c.shapes = {shape};
  c.params = {{"from", dtype_name(from)}, {"to", dtype_name(to_dtype)}};
  if (!view.empty()) c.params["view"] = view;
  if (signed_values) c.params["x"] = "U(-300 300)";
  c.inputs = [shape, signed_values](DType dt, uint64_t seed) {
    if (signed_values) return std::vector<Tensor>{to(rand(shape, seed, -300, 300, DType::f64), dt)};
    Tensor mask = to(gt(rand(shape, seed + 1), zeros({})), DType::f64);
    return std::vector<Tensor>{to(mul(rand(shape, seed, 0, 250, DType::f64), mask), dt)};
  };
  c.run = [to_dtype, view](const std::vector<Tensor>& in) {
    const Tensor x = view == "transpose" ? transpose(in[0], 0, 1) : view == "slice" ? slice(in[0], 1, 1, 13, 3) : in[0];
    return to(x, to_dtype);
  };
  c.parity_dtypes = {from};
  c.parity_grads = false;
  c.cuda32 = c.cuda64 = kExact;  // cast_value is the same code on both devices
  return c;
}

}  // namespace
}  // namespace oc::test

OC_OP_CASES(copy) {
  std::vector<OpCase> t;
  t.push_back(with_checks(
      row("cat", {{2, 3}, {2, 2}}, {{"dim", 1}}, [](const std::vector<Tensor>& in) { return cat({in[0], in[1]}, 1); })));
  t.push_back(with_checks(row("cat", {{2, 3}, {2, 2}}, {{"dim", 1}, {"order", "a b a"}},
              [](const std::vector<Tensor>& in) { return cat({in[0], in[1], in[0]}, 1); })));
  t.push_back(with_checks(
      row("stack", {{2, 3}, {2, 3}}, {{"dim", 0}}, [](const std::vector<Tensor>& in) { return stack({in[0], in[1]}, 0); })));
  t.push_back(with_checks(row("split", {{2, 5}}, {{"size", 2}, {"dim", 1}, {"part", 1}},
              [](const std::vector<Tensor>& in) { return contiguous(split(in[0], 2, 1)[1]); })));
  t.push_back(with_checks(row("pad", {{2, 3}}, {{"pads", {1, 2, 0, 1}}, {"value", 0.5}},
              [](const std::vector<Tensor>& in) { return pad(in[0], {1, 2, 0, 1}, 0.5); })));
  // Gradients through a float32 <-> float64 round trip (float32's rounding: a coarse step).
  OpCase round_trip = row("to", {{9, 4}}, {{"path", "other float type *2 back"}}, [](const std::vector<Tensor>& in) {
    const DType other = in[0].dtype() == DType::f64 ? DType::f32 : DType::f64;
    return to(mul(to(in[0], other), 2.0), in[0].dtype());
  });
  round_trip.gradient = true;
  round_trip.eps = 1e-3, round_trip.grad = {1e-5, 1e-3};
  t.push_back(round_trip);
  // CUDA: cat of a permuted tensor, stack along a new middle axis and the first, split then cat,
  // pad of 3-D and of a transposed view, a clone of a million elements.
  t.push_back(row("cat", {{4, 5, 6}, {4, 2, 6}, {6, 5, 4}}, {{"dim", 1}, {"third", "permute(2 1 0)"}},
                  [](const std::vector<Tensor>& in) { return cat({in[0], in[1], permute(in[2], {2, 1, 0})}, 1); }));
  t.push_back(row("stack", {{4, 5, 6}, {6, 5, 4}}, {{"dim", 1}, {"second", "permute(2 1 0)"}},
                  [](const std::vector<Tensor>& in) { return stack({in[0], permute(in[1], {2, 1, 0})}, 1); }));
  t.push_back(row("stack", {{4, 5, 6}}, {{"dim", 0}, {"order", "a a"}},
                  [](const std::vector<Tensor>& in) { return stack({in[0], in[0]}, 0); }));
  t.push_back(row("split", {{4, 5, 6}}, {{"size", 2}, {"dim", 2}, {"then", "cat(part 2, part 0)"}},
                  [](const std::vector<Tensor>& in) {
                    auto parts = split(in[0], 2, 2);
                    return cat({contiguous(parts[2]), contiguous(parts[0])}, 0);
                  }));
  t.push_back(row("pad", {{4, 5, 6}}, {{"pads", {1, 2, 0, 3}}, {"value", -0.5}},
                  [](const std::vector<Tensor>& in) { return pad(in[0], {1, 2, 0, 3}, -0.5); }));
  t.push_back(row("pad", {{4, 5, 6}}, {{"pads", {3, 0}}, {"value", 0}, {"first", "transpose(0 2)"}},
                  [](const std::vector<Tensor>& in) { return pad(transpose(in[0], 0, 2), {3, 0}); }));
  t.push_back(row("clone", {{1000003}}, {}, [](const std::vector<Tensor>& in) { return clone(in[0]); }));
  // Every dtype pair, contiguous and strided; negative values through the signed and floating types.
  const std::vector<DType> all = {DType::f32, DType::f64, DType::bf16, DType::i32, DType::i64, DType::u8, DType::b8};
  for (DType from : all)
    for (DType to_dtype : all)
      for (const char* view : {"", "transpose", "slice"}) t.push_back(to_row(from, to_dtype, {7, 13}, view));
  for (DType to_dtype : {DType::f64, DType::bf16, DType::i32, DType::i64, DType::b8})
    t.push_back(to_row(DType::f32, to_dtype, {1000003}, "", true));
  // Floating values out of an integer type's range, infinities and NaN: truncated, saturated, NaN to
  // 0, the same on both devices (kernels/common/cast.h; a plain cast is undefined there).
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<std::pair<int64_t, double>> specials = {
      {0, std::nan("")}, {1, inf}, {2, -inf}, {3, 1e30}, {4, -1e30}, {5, 3e9}, {6, -3e9}, {7, -1.5}, {8, 255.9}, {9, 256}};
  for (DType from : {DType::f32, DType::f64})
    for (DType to_dtype : {DType::i32, DType::i64, DType::u8}) {
      OpCase c = to_row(from, to_dtype, {7, 13}, "");
      c.params["x"] = "NaN inf 1e30 -3e9 -1.5 255.9";
      c.inputs = with_values(c.inputs, specials);
      c.reference = [to_dtype](const std::vector<Tensor>& in) {
        const double lo = to_dtype == DType::u8 ? 0 : to_dtype == DType::i32 ? -2147483648.0 : -9223372036854775808.0;
        const double hi = to_dtype == DType::u8 ? 255 : to_dtype == DType::i32 ? 2147483647.0 : 9223372036854775807.0;
        std::vector<int64_t> out;
        for (double v : to_vector<double>(contiguous(to(in[0], DType::f64))))
          out.push_back(std::isnan(v) ? 0
                        : v <= lo     ? static_cast<int64_t>(lo)
                        : v >= hi     ? (hi > 9e18 ? std::numeric_limits<int64_t>::max() : static_cast<int64_t>(hi))
                                      : static_cast<int64_t>(v));
        return to(from_vector(out, in[0].shape()), to_dtype);
      };
      c.fwd32 = c.fwd64 = kExact;
      t.push_back(c);
    }
  return t;
}
