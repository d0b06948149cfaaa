// matmul: shapes (1-D, 2-D, batched, broadcast), layouts (transposed views), gradients, errors.
#include <catch2/catch.hpp>

#include "tests/helpers.h"

using namespace oc;

namespace {
// Plain triple loop in double: [M,K] x [K,N].
Tensor matmul_ref(const Tensor& a, const Tensor& b) {
  int64_t M = a.size(0), K = a.size(1), N = b.size(1);
  std::vector<double> av = to_vector<double>(a), bv = to_vector<double>(b), c(M * N, 0);
  for (int64_t i = 0; i < M; ++i)
    for (int64_t k = 0; k < K; ++k)
      for (int64_t j = 0; j < N; ++j) c[i * N + j] += av[i * K + k] * bv[k * N + j];
  return from_vector(c, {M, N});
}
}  // namespace

TEST_CASE("matmul: 2-D against a triple loop, odd sizes") {
  for (auto [M, K, N] : std::vector<std::array<int64_t, 3>>{{1, 1, 1}, {7, 13, 5}, {65, 33, 129}, {128, 64, 96}}) {
    INFO(M << "x" << K << "x" << N);
    Tensor a = test::rand({M, K}, 1), b = test::rand({K, N}, 2);
    // float32 with K terms of size <= 1: error grows like sqrt(K) * eps.
    REQUIRE_CLOSE(matmul(a, b), matmul_ref(a, b), 1e-5, 1e-5);
  }
}

TEST_CASE("matmul: transposed and sliced operands") {
  Tensor a = test::rand({20, 30}, 3), b = test::rand({40, 20}, 4);
  Tensor at = transpose(a, 0, 1);  // [30, 20] stored transposed
  Tensor bt = transpose(b, 0, 1);  // [20, 40]
  REQUIRE_CLOSE(matmul(at, bt), matmul_ref(contiguous(at), contiguous(bt)), 1e-5, 1e-5);
  Tensor as = slice(slice(a, 0, 2, 12), 1, 3, 23);  // [10, 20] with row stride 30
  REQUIRE_CLOSE(matmul(as, bt), matmul_ref(contiguous(as), contiguous(bt)), 1e-5, 1e-5);
  Tensor strided = slice(a, 1, 0, 30, 3);  // neither stride is 1
  REQUIRE_CLOSE(matmul(strided, test::rand({10, 4}, 5)), matmul_ref(contiguous(strided), test::rand({10, 4}, 5)), 1e-5,
                1e-5);
  Tensor rows = expand(test::rand({1, 20}, 6), {7, 20});  // every row the same memory (stride 0)
  REQUIRE_CLOSE(matmul(rows, bt), matmul_ref(contiguous(rows), bt), 1e-5, 1e-5);
  Tensor col = expand(test::rand({20, 1}, 7), {20, 5});  // stride 0 along columns
  REQUIRE_CLOSE(matmul(at, col), matmul_ref(contiguous(at), contiguous(col)), 1e-5, 1e-5);
}

TEST_CASE("matmul: batched with broadcasting and 1-D operands") {
  Tensor a = test::rand({2, 1, 4, 3}, 6), b = test::rand({5, 3, 6}, 7);
  Tensor c = matmul(a, b);
  REQUIRE(c.shape() == Shape{2, 5, 4, 6});
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 5; ++j)
      REQUIRE_CLOSE(select(select(c, 0, i), 0, j), matmul_ref(contiguous(select(select(a, 0, i), 0, 0)),
                                                              contiguous(select(b, 0, j))), 1e-6, 1e-6);
  Tensor v = test::rand({3}, 8);
  REQUIRE(matmul(test::rand({4, 3}, 9), v).shape() == Shape{4});
  REQUIRE(matmul(v, test::rand({3, 6}, 10)).shape() == Shape{6});
  REQUIRE(matmul(v, v).shape() == Shape{});
  REQUIRE(matmul(v, b).shape() == Shape{5, 6});
  REQUIRE_CLOSE(matmul(v, v), sum(mul(v, v)), 1e-6, 1e-6);
}

TEST_CASE("matmul: float64 path and K = 0") {
  Tensor a = test::rand({9, 11}, 11, -1, 1, DType::f64), b = test::rand({11, 7}, 12, -1, 1, DType::f64);
  REQUIRE_CLOSE(matmul(a, b), matmul_ref(a, b), 1e-14, 1e-12);
  REQUIRE(to_vector<float>(matmul(zeros({2, 0}), zeros({0, 3}))) == std::vector<float>(6, 0.f));
  REQUIRE(matmul(zeros({0, 4}), zeros({4, 3})).shape() == Shape{0, 3});
}

TEST_CASE("matmul: gradients, batched and broadcast") {
  Tensor a = test::rand({2, 3, 4}, 13, -1, 1, DType::f64).set_requires_grad();
  Tensor b = test::rand({4, 5}, 14, -1, 1, DType::f64).set_requires_grad();
  REQUIRE_GRADCHECK([](const std::vector<Tensor>& in) { return matmul(in[0], in[1]); }, {a, b});
  Tensor v = test::rand({4}, 15, -1, 1, DType::f64).set_requires_grad();
  REQUIRE_GRADCHECK([](const std::vector<Tensor>& in) { return matmul(in[0], in[1]); }, {a, v});
  REQUIRE_GRADCHECK([](const std::vector<Tensor>& in) { return matmul(in[1], in[0]); }, {b, v});
}

TEST_CASE("matmul: errors name the shapes") {
  REQUIRE_THROWS_WITH(matmul(zeros({2, 3}), zeros({4, 5})),
                      Catch::Contains("matmul") && Catch::Contains("[2, 3]") && Catch::Contains("[4, 5]"));
  REQUIRE_THROWS_WITH(matmul(zeros({2, 2, 3}), zeros({3, 3, 2})), Catch::Contains("cannot be broadcast"));
  REQUIRE_THROWS_WITH(matmul(zeros({}), zeros({3})), Catch::Contains("at least 1 dim"));
}
