// Turns the op case tables into CUDA parity tests (see op_case_parity.cpp); main() calls it first.
#pragma once

namespace oc::test {

void register_op_case_parity_tests();

}  // namespace oc::test
