// The optimizers on CUDA by hand: non-contiguous parameters and broadcast gradients, optimizers on
// CUDA parameters and their state across devices, clip_grad_norm (the fused updates' parity comes
// from the case table, optim_cases.cpp).
#include <catch2/catch.hpp>

#include "kernels/optim/optim.h"
#include "tests/cuda/parity.h"
#include "tests/kernels/optim/bit_equal.h"
#include "train/optim.h"

using namespace oc;
using namespace oc::test;

TEST_CASE("optim: non-contiguous parameters and broadcast gradients on the device") {
  Tensor base = test::rand({3, 4}, 3);
  Tensor strided = clone(base).as_strided({4, 3}, {1, 4}, 0);
  Tensor strided_g = to(clone(base), kCuda).as_strided({4, 3}, {1, 4}, 0);
  Tensor g = expand(test::rand({1, 3}, 4), {4, 3});
  Tensor buf = zeros({4, 3}), bufg = zeros({4, 3}, DType::f32, kCuda);
  sgd_update_(strided, g, buf, {0.1, 0.9, 0.01, true});
  sgd_update_(strided_g, expand(to(test::rand({1, 3}, 4), kCuda), {4, 3}), bufg, {0.1, 0.9, 0.01, true});
  REQUIRE(bit_equal(strided_g, strided));
  REQUIRE(bit_equal(bufg, buf));
}

TEST_CASE("optim: optimizers on CUDA parameters match the CPU, and state moves across devices") {
  for (const char* kind : {"sgd", "adam", "adamw"}) {
    INFO(kind);
    auto make = [&](std::vector<NamedParam> ps) -> std::unique_ptr<Optimizer> {
      if (std::string(kind) == "sgd") return make_sgd(std::move(ps), {0.05, 0.9, 0.01, true});
      return make_adam(std::move(ps), {0.01, 0.9, 0.999, 1e-8, 0.05, std::string(kind) == "adamw"});
    };
    auto params_on = [](Device d) {
      return std::vector<NamedParam>{{"conv.weight", to(test::rand({8, 3, 3, 3}, 5), d).set_requires_grad()},
                                     {"conv.bias", to(test::rand({8}, 6), d).set_requires_grad()}};
    };
    auto grads = [](int step, std::vector<NamedParam>& ps) {
      for (size_t i = 0; i < ps.size(); ++i)
        ps[i].param.set_grad(to(test::rand(ps[i].param.shape(), 50 + 10 * step + i), ps[i].param.device()));
    };
    std::vector<NamedParam> pc = params_on(Device::cpu()), pg = params_on(kCuda);
    auto oc_cpu = make(pc), oc_gpu = make(pg);
    for (int s = 0; s < 3; ++s) {
      grads(s, pc);
      grads(s, pg);
      oc_cpu->step();
      oc_gpu->step();
    }
    for (size_t i = 0; i < pc.size(); ++i) REQUIRE(bit_equal(pg[i].param, pc[i].param));
    auto sg = oc_gpu->state();
    for (const NamedParam& s : sg) REQUIRE(s.param.device() == kCuda);
    // Resume the CPU run's state on the GPU (load_state copies across devices) and continue both.
    std::vector<NamedParam> pr = params_on(kCuda);
    for (size_t i = 0; i < pr.size(); ++i) copy_(pr[i].param, pc[i].param);
    auto oc_resumed = make(pr);
    oc_resumed->load_state(oc_cpu->state(), oc_cpu->steps());
    for (int s = 3; s < 5; ++s) {
      grads(s, pc);
      grads(s, pr);
      oc_cpu->step();
      oc_resumed->step();
    }
    for (size_t i = 0; i < pc.size(); ++i) REQUIRE(bit_equal(pr[i].param, pc[i].param));
  }
}

TEST_CASE("optim: clip_grad_norm on CUDA grads matches the CPU") {
  auto make = [](Device d) {
    std::vector<NamedParam> ps{{"a", to(zeros({300, 7}), d).set_requires_grad()},
                               {"b", to(zeros({5}), d).set_requires_grad()}};
    ps[0].param.set_grad(to(test::rand({300, 7}, 7), d));
    ps[1].param.set_grad(to(test::rand({5}, 8), d));
    return ps;
  };
  auto pc = make(Device::cpu()), pg = make(kCuda);
  const double nc = clip_grad_norm(pc, 1.0), ng = clip_grad_norm(pg, 1.0);
  REQUIRE(ng == Approx(nc).epsilon(1e-6));  // float32 sums in other orders
  for (size_t i = 0; i < pc.size(); ++i) REQUIRE_CLOSE(pg[i].param.grad(), pc[i].param.grad(), 1e-7, 1e-5);
}
