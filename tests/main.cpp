// Catch2 runner for the CPU tests: the op case tables become tests first.
// `ocellus_tests --write-op-cases DIR` writes the golden cases' inputs for tools/make_goldens.py instead.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstdio>
#include <exception>
#include <string>

#include "tests/op_case_tests.h"
#include "tests/op_cases.h"

int main(int argc, char* argv[]) {
  if (argc >= 2 && std::string(argv[1]) == "--write-op-cases") {
    if (argc != 3) {
      std::fprintf(stderr, "usage: ocellus_tests --write-op-cases DIR\n");
      return 2;
    }
    try {
      oc::test::write_op_cases(argv[2]);
      return 0;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "ocellus_tests: %s\n", e.what());
      return 1;
    }
  }
  oc::test::register_op_case_tests();
  return Catch::Session().run(argc, argv);
}
