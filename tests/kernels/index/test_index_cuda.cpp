// Index ops on CUDA by hand: out-of-bounds indices throw an oc::Error naming the index, and the
// device stays usable (parity of values and gradients comes from index_cases.cpp).
#include <catch2/catch.hpp>

#include "tests/cuda/parity.h"

using namespace oc;
using namespace oc::test;

TEST_CASE("out-of-bounds indices throw oc::Error naming the index") {
  Tensor t = to(test::rand({5, 3}, 821), kCuda);
  Tensor bad_high = to(from_vector<int64_t>({0, 1, 7, 2, 0, 1}, {2, 3}), kCuda);
  Tensor bad_low = to(from_vector<int64_t>({0, -1, 0}, {1, 3}), kCuda);
  REQUIRE_THROWS_AS(gather(t, 0, bad_high), Error);
  REQUIRE_THROWS_WITH(gather(t, 0, bad_high), Catch::Contains("gather") && Catch::Contains("index 7") &&
                                                  Catch::Contains("out of bounds for dimension size 5"));
  REQUIRE_THROWS_WITH(gather(t, 0, bad_low), Catch::Contains("index -1"));
  Tensor src = to(test::rand({2, 3}, 822), kCuda);
  REQUIRE_THROWS_WITH(scatter_add(t, 0, bad_high, src),
                      Catch::Contains("scatter_add") && Catch::Contains("index 7") && Catch::Contains("size 5"));
  REQUIRE_THROWS_WITH(index_select(t, 1, to(from_vector<int64_t>({0, 3}, {2}), kCuda)),
                      Catch::Contains("index 3") && Catch::Contains("size 3"));
  // The device is still usable afterwards (no sticky CUDA error).
  Tensor ok = to(from_vector<int64_t>({4, 0, 2}, {1, 3}), kCuda);
  REQUIRE_CLOSE(gather(t, 0, ok), gather(to(t, Device::cpu()), 0, from_vector<int64_t>({4, 0, 2}, {1, 3})), 0, 0);
}
