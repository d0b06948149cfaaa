// View and copy ops: shapes, strides (views share storage), values, gradients, errors.
#include <catch2/catch.hpp>

#include "tests/helpers.h"

using namespace oc;

TEST_CASE("views share storage and do not copy") {
  Tensor x = test::rand({2, 3, 4}, 1);
  Tensor p = permute(x, {2, 0, 1});
  REQUIRE(p.shape() == Shape{4, 2, 3});
  REQUIRE(p.strides() == Shape{1, 12, 4});
  REQUIRE(p.storage() == x.storage());
  REQUIRE(reshape(x, {6, -1}).storage() == x.storage());
  REQUIRE(view(x, {3, 8}).shape() == Shape{3, 8});
  REQUIRE(slice(x, 2, 1, 3).storage() == x.storage());
  REQUIRE(expand(slice(x, 0, 0, 1), {5, 3, 4}).strides()[0] == 0);
  REQUIRE(unsqueeze(x, 1).shape() == Shape{2, 1, 3, 4});
  REQUIRE(squeeze(unsqueeze(x, -1), -1).shape() == x.shape());
  REQUIRE(flatten(x, 1).shape() == Shape{2, 12});
}

TEST_CASE("views: values follow the index mapping") {
  Tensor x = arange(0, 24).as_strided({2, 3, 4}, {12, 4, 1}, 0);
  REQUIRE(to_vector<float>(select(select(permute(x, {2, 0, 1}), 0, 3), 1, 2)) == std::vector<float>{11, 23});
  REQUIRE(to_vector<float>(slice(select(x, 0, 1), 1, 0, 4, 2)) == std::vector<float>{12, 14, 16, 18, 20, 22});
  REQUIRE(to_vector<float>(slice(arange(0, 10), 0, -3, 100)) == std::vector<float>{7, 8, 9});
  REQUIRE(to_vector<float>(transpose(reshape(arange(0, 6), {2, 3}), 0, 1)) == std::vector<float>{0, 3, 1, 4, 2, 5});
}

TEST_CASE("view refuses what needs a copy, reshape copies") {
  Tensor x = transpose(test::rand({3, 4}, 2), 0, 1);
  REQUIRE_THROWS_WITH(view(x, {12}), Catch::Contains("view: cannot view") && Catch::Contains("reshape"));
  Tensor r = reshape(x, {12});
  REQUIRE(r.storage() != x.storage());
  REQUIRE(to_vector<float>(r) == to_vector<float>(x));
  REQUIRE_THROWS_WITH(reshape(x, {5, -1}), Catch::Contains("reshape: cannot reshape [4, 3]"));
  REQUIRE_THROWS_WITH(reshape(x, {-1, -1}), Catch::Contains("only one dimension can be -1"));
}

TEST_CASE("views: gradients flow back through every view op") {
  Tensor x = test::rand({2, 3, 4}, 3, -1, 1, DType::f64).set_requires_grad();
  auto check = [&](std::function<Tensor(const Tensor&)> f) {
    REQUIRE_GRADCHECK([&](const std::vector<Tensor>& in) { return f(in[0]); }, {x});
  };
  check([](const Tensor& t) { return permute(t, {1, 2, 0}); });
  check([](const Tensor& t) { return reshape(transpose(t, 0, 2), {4, 6}); });
  check([](const Tensor& t) { return slice(t, 2, 1, 4, 2); });
  check([](const Tensor& t) { return select(t, 1, -1); });
  check([](const Tensor& t) { return expand(slice(t, 1, 0, 1), {5, 2, 3, 4}); });
  check([](const Tensor& t) { return squeeze(unsqueeze(t, 0)); });
  check([](const Tensor& t) { return flatten(t); });
  // A view used twice accumulates both gradients into the base.
  check([](const Tensor& t) { return mul(slice(t, 0, 0, 1), slice(t, 0, 1, 2)); });
}

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

TEST_CASE("cat, stack, split, pad: gradients") {
  Tensor a = test::rand({2, 3}, 7, -1, 1, DType::f64).set_requires_grad();
  Tensor b = test::rand({2, 2}, 8, -1, 1, DType::f64).set_requires_grad();
  REQUIRE_GRADCHECK([](const std::vector<Tensor>& in) { return cat({in[0], in[1], in[0]}, 1); }, {a, b});
  REQUIRE_GRADCHECK([](const std::vector<Tensor>& in) { return stack({in[0], mul(in[0], in[0])}, 0); }, {a});
  REQUIRE_GRADCHECK([](const std::vector<Tensor>& in) { return mul(split(in[0], 2, 1)[0], in[1]); }, {a, b});
  REQUIRE_GRADCHECK([](const std::vector<Tensor>& in) { return pad(in[0], {1, 2, 0, 1}, 0.5); }, {a});
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
  Tensor g = test::rand({3}, 10, -1, 1, DType::f64).set_requires_grad();
  REQUIRE_GRADCHECK([](const std::vector<Tensor>& in) { return to(mul(to(in[0], DType::f32), 2.0), DType::f64); }, {g},
                    1e-3, 1e-5, 1e-3);
}
