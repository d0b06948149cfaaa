// Pooling on CUDA by hand: ties and NaN pick the same element on both devices, empty batches (the
// parity of random inputs comes from the case table, pool_cases.cpp).
#include <catch2/catch.hpp>

#include <cmath>

#include "tests/cuda/parity.h"

using namespace oc;
using namespace oc::test;

TEST_CASE("max_pool2d with ties and NaN picks the same element on both devices") {
  for (DType dt : {DType::f32, DType::f64}) {
    // 3 levels: many ties; the first maximum wins on both devices, and so does its gradient.
    Tensor q = to(to(test::rand({2, 3, 10, 10}, 711, 0, 2.999, DType::f32), DType::i32), dt);
    check_parity([](const std::vector<Tensor>& in) { return max_pool2d(in[0], {3, 3, 2, 2, 1, 1, true}); }, {q}, kExact,
                 kExact);
    std::vector<double> v = to_vector<double>(test::rand({1, 1, 6, 6}, 712, -1, 1, DType::f64));
    v[7] = NAN;
    v[20] = NAN;
    Tensor n = to(from_vector(v, {1, 1, 6, 6}), dt);
    check_parity([](const std::vector<Tensor>& in) { return max_pool2d(in[0], {2, 2, 2, 2}); }, {n}, kExact, kExact,
                 false);
  }
}

TEST_CASE("pooling of empty batches") {
  Tensor e = zeros({0, 3, 6, 6});
  check_parity([](const std::vector<Tensor>& in) { return max_pool2d(in[0], {2, 2, 2, 2}); }, {e}, kExact, kExact);
  check_parity([](const std::vector<Tensor>& in) { return avg_pool2d(in[0], {3, 3, 1, 1, 1, 1}); }, {e}, kExact, kExact);
  check_parity([](const std::vector<Tensor>& in) { return adaptive_avg_pool2d(in[0], 2, 2); }, {e}, kExact, kExact);
}
