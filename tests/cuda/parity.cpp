// The shared CUDA-vs-CPU comparison (see parity.h).
#include "tests/cuda/parity.h"

#include <catch2/catch.hpp>

namespace oc::test {

void check_parity(const ParityFn& f, const std::vector<Tensor>& inputs, Tol out_tol, Tol grad_tol, bool grads) {
  std::vector<Tensor> cpu, gpu;
  for (const Tensor& t : inputs) {
    Tensor c = clone(t.detach()), g = to(t.detach(), kCuda);
    if (grads && is_floating(t.dtype())) {
      c.set_requires_grad();
      g.set_requires_grad();
    }
    cpu.push_back(c);
    gpu.push_back(g);
  }
  Tensor want = f(cpu), got = f(gpu);
  REQUIRE(got.device() == kCuda);
  REQUIRE(got.dtype() == want.dtype());
  {
    INFO("forward");
    REQUIRE_CLOSE(got, want, out_tol.atol, out_tol.rtol);
  }
  if (!grads || !is_floating(want.dtype()) || !want.requires_grad()) return;
  Tensor w = rand(want.shape(), 9001, 0.5, 1.5, want.dtype());
  sum(mul(want, w)).backward();
  sum(mul(got, to(w, kCuda))).backward();
  for (size_t i = 0; i < cpu.size(); ++i) {
    if (!cpu[i].requires_grad()) continue;
    INFO("gradient of input " << i);
    REQUIRE(cpu[i].grad().defined() == gpu[i].grad().defined());
    if (!cpu[i].grad().defined()) continue;
    REQUIRE(gpu[i].grad().device() == kCuda);
    REQUIRE_CLOSE(gpu[i].grad(), cpu[i].grad(), grad_tol.atol, grad_tol.rtol);
  }
}

}  // namespace oc::test
