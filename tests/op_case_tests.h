// Turns the op case tables into Catch2 tests (see op_case_tests.cpp); main() calls it before the session.
#pragma once

namespace oc::test {

void register_op_case_tests();

}  // namespace oc::test
