// Views by hand: storage sharing (no copy), values by index mapping, view refusing what needs a
// copy, a view used twice. Gradients, PyTorch's numbers and CUDA parity: views_cases.cpp.
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

TEST_CASE("views: a view used twice accumulates both gradients into the base") {
  Tensor x = test::rand({2, 3, 4}, 3, -1, 1, DType::f64).set_requires_grad();
  REQUIRE_GRADCHECK([](const std::vector<Tensor>& in) { return mul(slice(in[0], 0, 0, 1), slice(in[0], 0, 1, 2)); },
                    {x});
}
