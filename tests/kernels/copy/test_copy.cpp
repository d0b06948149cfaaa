// Copies by hand: cat, stack, split and their errors, pad's order of pads, contiguous, clone, dtype
// conversions and bfloat16 storage. Gradients, PyTorch's numbers and CUDA parity: copy_cases.cpp.
#include <catch2/catch.hpp>

#include "tests/helpers.h"

using namespace oc;

TEST_CASE("cat, stack, split") {
  Tensor a = test::rand({2, 3}, 4), b = test::rand({2, 5}, 5);
  Tensor c = cat({a, b}, 1);
  REQUIRE(c.shape() == Shape{2, 8});
  REQUIRE_CLOSE(slice(c, 1, 3, 8), b, 0, 0);
  auto parts = split(c, std::vector<int64_t>{3, 5}, 1);
  REQUIRE_CLOSE(parts[0], a, 0, 0);
  REQUIRE_CLOSE(parts[1], b, 0, 0);
  auto even = split(arange(0, 10), 4, 0);
  REQUIRE(even.size() == 3);
  REQUIRE(even[2].shape() == Shape{2});
  Tensor s = stack({a, a, a}, 1);
  REQUIRE(s.shape() == Shape{2, 3, 3});
  REQUIRE_CLOSE(select(s, 1, 2), a, 0, 0);
  REQUIRE_THROWS_WITH(cat({a, test::rand({3, 3}, 6)}, 1), Catch::Contains("cat: tensor 1 has shape [3, 3]"));
  REQUIRE_THROWS_WITH(stack({a, b}, 0), Catch::Contains("stack: tensor 1 has shape [2, 5]"));
  REQUIRE_THROWS_WITH(split(a, std::vector<int64_t>{1, 1}, 1), Catch::Contains("split: sizes add up to 2"));
}

TEST_CASE("stack: the same input twice, once through mul, gets both gradients") {
  Tensor a = test::rand({2, 3}, 7, -1, 1, DType::f64).set_requires_grad();
  REQUIRE_GRADCHECK([](const std::vector<Tensor>& in) { return stack({in[0], mul(in[0], in[0])}, 0); }, {a});
}

TEST_CASE("pad: constant padding, PyTorch's order of pads") {
  Tensor x = reshape(arange(1, 5), {2, 2});
  Tensor p = pad(x, {1, 0, 0, 1}, -1);  // last dim: 1 before; first dim: 1 after
  REQUIRE(p.shape() == Shape{3, 3});
  REQUIRE(to_vector<float>(p) == std::vector<float>{-1, 1, 2, -1, 3, 4, -1, -1, -1});
  REQUIRE_THROWS_WITH(pad(x, {1}), Catch::Contains("pad: expected an even number"));
}

TEST_CASE("contiguous, clone, dtype conversion and bfloat16 storage") {
  Tensor x = transpose(test::rand({3, 4}, 9), 0, 1);
  Tensor c = contiguous(x);
  REQUIRE(c.is_contiguous());
  REQUIRE(contiguous(c).is_same(c));
  REQUIRE(to_vector<float>(c) == to_vector<float>(x));
  REQUIRE(clone(c).storage() != c.storage());
  // bfloat16 keeps 8 significant bits: rounding to nearest errs by at most half an ulp, 2^-8 relative.
  Tensor h = to(x, DType::bf16);
  REQUIRE(h.dtype() == DType::bf16);
  REQUIRE_CLOSE(to(h, DType::f32), x, 0, 1.0 / 256);
  REQUIRE(to_vector<float>(to(from_vector<float>({1.0f, 0.5f, -2.0f}, {3}), DType::bf16)) ==
          std::vector<float>{1.0f, 0.5f, -2.0f});
  REQUIRE(to_vector<int64_t>(to(from_vector<float>({1.7f, -2.2f}, {2}), DType::i64)) == std::vector<int64_t>{1, -2});
  REQUIRE(to_vector<bool>(to(from_vector<float>({0, 3}, {2}), DType::b8)) == std::vector<bool>{false, true});
  REQUIRE(to_vector<uint8_t>(to(from_vector<int32_t>({7, 200}, {2}), DType::u8)) == std::vector<uint8_t>{7, 200});
}
