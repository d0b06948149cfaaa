// Catch2 runner for the CUDA parity tests: without a CUDA device it runs nothing and exits 77,
// which ctest (SKIP_RETURN_CODE) reports as "skipped". Listing tests works everywhere. The op case
// tables become parity tests first.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstring>

#include "core/device.h"
#include "tests/cuda/op_case_parity.h"

int main(int argc, char* argv[]) {
  oc::test::register_op_case_parity_tests();
  bool listing = false;
  for (int i = 1; i < argc; ++i) listing = listing || std::strncmp(argv[i], "--list", 6) == 0;
  if (!listing && !oc::cuda_available()) {
    std::printf("SKIPPED: %s\n", OCELLUS_HAS_CUDA ? "no CUDA device is present" : "built without CUDA");
    return 77;
  }
  return Catch::Session().run(argc, argv);
}
