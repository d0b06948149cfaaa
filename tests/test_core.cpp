// Core: tensor metadata, autograd engine semantics, thread pool.
#include <catch2/catch.hpp>

#include <atomic>
#include <cmath>

#include "tests/helpers.h"

using namespace oc;

TEST_CASE("tensor: metadata, dtypes and devices") {
  Tensor t = Tensor::empty({2, 3, 4}, DType::i32);
  REQUIRE(t.dim() == 3);
  REQUIRE(t.numel() == 24);
  REQUIRE(t.size(-1) == 4);
  REQUIRE(t.strides() == Shape{12, 4, 1});
  REQUIRE(t.is_contiguous());
  REQUIRE(t.str() == "int32[2, 3, 4] cpu");
  REQUIRE(dtype_size(DType::bf16) == 2);
  REQUIRE(Device::parse("cuda:1") == Device::cuda(1));
  REQUIRE_THROWS_WITH(Device::parse("gpu"), Catch::Contains("unknown device \"gpu\""));
  REQUIRE_THROWS_WITH(t.size(3), Catch::Contains("size: dimension 3 is out of range"));
  REQUIRE_THROWS_WITH(t.data<float>(), Catch::Contains("data<float32>() on a int32 tensor"));
  REQUIRE(reinterpret_cast<uintptr_t>(t.raw_data()) % 64 == 0);
}

TEST_CASE("autograd: gradients accumulate across backward calls and across uses") {
  Tensor x = test::rand({3}, 1, -1, 1, DType::f64).set_requires_grad();
  sum(mul(x, 2.0)).backward();
  sum(mul(x, 3.0)).backward();
  REQUIRE(to_vector<double>(x.grad()) == std::vector<double>(3, 5.0));
  x.zero_grad();
  sum(add(mul(x, x), x)).backward();  // x used three times
  std::vector<double> xv = to_vector<double>(x), g = to_vector<double>(x.grad());
  for (int i = 0; i < 3; ++i) REQUIRE(g[i] == Approx(2 * xv[i] + 1));
}

TEST_CASE("autograd: no_grad, detach and leaf rules") {
  Tensor x = ones({2}).set_requires_grad();
  {
    NoGradGuard guard;
    Tensor y = mul(x, 2.0);
    REQUIRE_FALSE(y.requires_grad());
    REQUIRE(y.grad_fn() == nullptr);
  }
  REQUIRE(grad_enabled());
  Tensor y = mul(x, 2.0);
  REQUIRE(y.requires_grad());
  REQUIRE_FALSE(y.is_leaf());
  REQUIRE_FALSE(y.detach().requires_grad());
  REQUIRE_THROWS_WITH(y.set_requires_grad(false), Catch::Contains("only leaf tensors"));
  REQUIRE_THROWS_WITH(zeros({2}, DType::i64).set_requires_grad(), Catch::Contains("floating-point"));
  REQUIRE_THROWS_WITH(ones({2}).backward(), Catch::Contains("does not require grad"));
  REQUIRE_THROWS_WITH(y.backward(), Catch::Contains("implicit gradient needs a one-element output"));
  y.backward(from_vector<float>({1, 10}, {2}));
  REQUIRE(to_vector<float>(x.grad()) == std::vector<float>{2, 20});
  // Only the path through x receives a gradient; the detached path is a constant.
  Tensor z = ones({2}).set_requires_grad();
  sum(mul(z, z.detach())).backward();
  REQUIRE(to_vector<float>(z.grad()) == std::vector<float>{1, 1});
}

TEST_CASE("autograd: the graph is freed after backward unless retained") {
  Tensor x = test::rand({4}, 2, -1, 1, DType::f64).set_requires_grad();
  Tensor h = exp(x);  // the rule saves exp(x)
  std::weak_ptr<Storage> saved = h.storage();
  Tensor loss = sum(h);
  h = Tensor();
  REQUIRE_FALSE(saved.expired());  // kept alive by the graph only
  loss.backward({}, /*retain_graph=*/true);
  REQUIRE_FALSE(saved.expired());
  loss.backward();
  REQUIRE(saved.expired());  // released as soon as the rule ran
  REQUIRE_THROWS_WITH(loss.backward(), Catch::Contains("already freed"));
  std::vector<double> xv = to_vector<double>(x), g = to_vector<double>(x.grad());
  for (int i = 0; i < 4; ++i) REQUIRE(g[i] == Approx(2 * std::exp(xv[i])));
}

TEST_CASE("autograd: diamond graphs and inputs without grad") {
  Tensor x = test::rand({3}, 3, 0.5, 1.5, DType::f64).set_requires_grad();
  Tensor c = test::rand({3}, 4, -1, 1, DType::f64);  // constant
  REQUIRE_GRADCHECK([&](const std::vector<Tensor>& in) {
    Tensor a = exp(in[0]);
    Tensor b = mul(a, c);
    return add(mul(a, b), log(a));
  }, {x});
}

TEST_CASE("autograd: a wrong gradient is caught by gradcheck") {
  // d/dx (x * detach(x)) is x from backward but 2x numerically: the harness must notice.
  Tensor x = test::rand({3}, 5, 0.5, 1.5, DType::f64).set_requires_grad();
  auto r = test::gradcheck([](const std::vector<Tensor>& in) { return mul(in[0], in[0].detach()); }, {x});
  REQUIRE_FALSE(r.ok);
}

TEST_CASE("thread pool: covers the range once, propagates errors, nests inline") {
  std::vector<std::atomic<int>> hits(100000);
  parallel_for(0, 100000, 100, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) hits[i]++;
  });
  for (auto& h : hits) REQUIRE(h.load() == 1);
  REQUIRE_THROWS_WITH(parallel_for(0, 1000, 1, [](int64_t b, int64_t) { OC_CHECK(b != 0, "boom at ", b); }),
                      Catch::Contains("boom at 0"));
  std::atomic<int64_t> total{0};
  parallel_for(0, 8, 1, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) parallel_for(0, 10, 1, [&](int64_t bb, int64_t ee) { total += ee - bb; });
  });
  REQUIRE(total.load() == 80);
  int before = num_threads();
  set_num_threads(3);
  REQUIRE(num_threads() == 3);
  set_num_threads(before);
}

TEST_CASE("core: a shape whose element count or strides overflow int64 is an error naming it") {
  const int64_t big = int64_t{1} << 40;
  REQUIRE_THROWS_WITH(shape_numel({big, big}),
                      Catch::Contains("[1099511627776, 1099511627776]") && Catch::Contains("more elements than int64"));
  // Empty, yet its strides would overflow: an IDX header of dimensions [0, 2^32-1, 2^32-1, 2^32-1] asked for one.
  const int64_t u32 = (int64_t{1} << 32) - 1;
  REQUIRE_THROWS_WITH(Tensor::empty({0, u32, u32, u32}, DType::u8), Catch::Contains("more elements than int64"));
  REQUIRE(shape_numel({0, big, big}) == 0);
  REQUIRE(Tensor::empty({0, 5, big}, DType::u8).numel() == 0);  // strides 5 * 2^40 fit
}
