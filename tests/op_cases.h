// One case table per op family (as ggml's test-backend-ops): each row names an op, its input shapes
// and printable parameters, how to draw its seeded inputs, the function under test, a reference and
// the tolerances beside it. The one table drives the forward check, the float64 gradient check and
// the PyTorch goldens (tests/op_case_tests.cpp), the CUDA parity test (tests/cuda/op_case_parity.cpp)
// and the benchmark shapes (`ocellus bench <op>`). A table is tests/kernels/<family>/<family>_cases.cpp.
// No Catch2 here: the tables are linked into the `ocellus` command as well.
#pragma once
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "kernels/ops.h"
#include "tests/numeric.h"

namespace oc::test {

using OpFn = std::function<Tensor(const std::vector<Tensor>&)>;
// The inputs of a case: floating ones in `dtype`, drawn from `seed` (a hash of the case's name).
using MakeInputs = std::function<std::vector<Tensor>(DType dtype, uint64_t seed)>;

struct OpCase {
  std::string op;                // the op under test; the first word of the name
  std::vector<Shape> shapes;     // the input shapes, printed in the name
  nlohmann::ordered_json params;  // printed in the name as key=value; tools/goldens/<family>.py reads them
  MakeInputs inputs;
  OpFn run;
  OpFn reference;  // a plain float64 formula (or the CPU kernel); empty: no forward check

  // forward: run vs reference on float64 inputs, and on float32 inputs (reference on the same values).
  Tol fwd64{1e-12, 1e-12}, fwd32{1e-4, 1e-5};
  // gradient: backward vs float64 central differences with step eps.
  bool gradient = false;
  double eps = 1e-6;
  Tol grad{1e-7, 1e-5};
  // golden: PyTorch's outputs and gradients (float64) in tests/data/golden_<family>.json.
  bool golden = false;
  Tol golden_tol{1e-12, 1e-10};
  // parity: CUDA vs CPU on the same inputs, per dtype (outputs, then gradients); cuda64 bounds
  // float64, cuda32 every other dtype.
  bool parity = true, parity_grads = true;
  std::vector<DType> parity_dtypes{DType::f32, DType::f64};
  Tol cuda32{1e-6, 1e-6}, cuda32_grad{1e-5, 1e-5}, cuda64{1e-12, 1e-12}, cuda64_grad{1e-12, 1e-12};
  // bench: one of the shapes `ocellus bench <op>` times.
  bool bench = false;

  std::string family;  // the table's name (kernels/<family>/), set at registration

  // "soft_argmax [2,3,5,7] beta=2 coords=normalized" (no ';': ctest would split the name).
  std::string name() const;
  uint64_t seed() const;
  std::vector<Tensor> make_inputs(DType dtype) const { return inputs(dtype, seed()); }
};

// A size made for the GPU's limits (a million rows of a warp each, batches past the grid's 65535) in
// the real builds; under the CUDA emulation, which runs one thread at a time, `emulated`: the same
// code paths at a size it runs in seconds (the loops past the grid caps run there on small tensors
// with OCELLUS_GRID_CAP, see make test-emulated).
constexpr int64_t gpu_scale(int64_t real, int64_t emulated) { return OCELLUS_CUDA_EMULATED ? emulated : real; }

// The row with its float64 gradient check and its golden switched on or off.
inline OpCase with_checks(OpCase c, bool gradient = true, bool golden = true) {
  c.gradient = gradient, c.golden = golden;
  return c;
}

// Inputs uniform in [lo, hi), one per shape (input i from seed + i), in the requested dtype.
MakeInputs uniform_inputs(const std::vector<Shape>& shapes, double lo = -1, double hi = 1);
// The inputs of `base` with some elements of input `input` (by flat index) set to given values: -inf
// and NaN cases, the same positions on both devices.
MakeInputs with_values(MakeInputs base, std::vector<std::pair<int64_t, double>> values, size_t input = 0);
// For ops that take no tensor (factories, random draws): one empty tensor of the requested dtype,
// whose device and dtype the case's function creates its result with.
MakeInputs device_marker();

using OpCaseTable = std::vector<OpCase> (*)();
bool register_op_cases(const char* family, OpCaseTable table);
// Every registered case, families in name order, each table in its own order; rows of a table with
// the same name are one case (their check flags ORed, the first row's bounds kept).
const std::vector<OpCase>& op_cases();
// The cases of one op (e.g. the bench cases of "affine_grid").
std::vector<OpCase> op_cases_of(const std::string& op);

// `ocellus_tests --write-op-cases DIR`: DIR/<family>.json with every golden case's name, op, params
// and float64 inputs, for tools/make_goldens.py (OCELLUS_OP_CASES=DIR).
void write_op_cases(const std::string& dir);

}  // namespace oc::test

// Declares a family's table, a function in oc::test:
//   OC_OP_CASES(soft_argmax) { std::vector<OpCase> t; ...; return t; }
#define OC_OP_CASES(family)                                                                         \
  namespace oc::test {                                                                             \
  static std::vector<OpCase> op_cases_##family();                                                  \
  [[maybe_unused]] static const bool op_cases_registered_##family =                                \
      register_op_cases(#family, op_cases_##family);                                               \
  }                                                                                                \
  std::vector<::oc::test::OpCase> oc::test::op_cases_##family()
