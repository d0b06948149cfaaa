// "<case> parity" for every row of the op case tables (tests/op_cases.h) that asks for it: CUDA
// against CPU on the same seeded inputs, outputs then gradients, per dtype, with the row's bounds.
#include "tests/cuda/op_case_parity.h"

#include "tests/cuda/parity.h"
#include "tests/op_cases.h"
#include "tests/register_test.h"

namespace oc::test {

void register_op_case_parity_tests() {
  for (const OpCase& c : op_cases()) {
    if (!c.parity) continue;
    register_test(c.name() + " parity", "[op_cases][" + c.family + "]", [&c] {
      for (DType dt : c.parity_dtypes) {
        INFO(dtype_name(dt) << " inputs");
        const bool f64 = dt == DType::f64;
        check_parity(c.run, c.make_inputs(dt), f64 ? c.cuda64 : c.cuda32, f64 ? c.cuda64_grad : c.cuda32_grad,
                     c.parity_grads);
      }
    });
  }
}

}  // namespace oc::test
