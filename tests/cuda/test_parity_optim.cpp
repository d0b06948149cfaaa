// CUDA vs CPU for the fused optimizer updates (bit-identical: both round op by op, see
// kernels/optim/optim_math.h), the optimizers and their state across devices, clip_grad_norm, and
// every loss with its gradients. Without a GPU the runner exits 77 (ctest: skipped).
#include <catch2/catch.hpp>

#include <cstring>
#include <functional>
#include <random>

#include "kernels/optim/optim.h"
#include "losses/losses.h"
#include "tests/cuda/parity.h"
#include "train/optim.h"

using namespace oc;
using namespace oc::test;

namespace {

bool bit_equal(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape() || a.dtype() != b.dtype()) return false;
  Tensor ca = contiguous(to(a, Device::cpu())), cb = contiguous(to(b, Device::cpu()));
  return std::memcmp(ca.raw_data(), cb.raw_data(), ca.numel() * dtype_size(ca.dtype())) == 0;
}

// Loss tolerances. float64: only summation order differs (1e-12). float32: log_softmax and exp/log
// differ by a few ulp between CUDA's and glibc's libm, and the CPU sums in double where CUDA sums in
// float; gradients of a mean are O(1/N), hence the absolute floor.
Tol loss_tol(DType dt) { return dt == DType::f32 ? Tol{2e-6, 2e-5} : Tol{1e-12, 1e-12}; }
Tol loss_grad_tol(DType dt) { return dt == DType::f32 ? Tol{1e-6, 1e-4} : Tol{1e-13, 1e-11}; }

Tensor random_targets(const Shape& shape, int64_t classes, uint64_t seed, int64_t ignore) {
  std::mt19937_64 rng(seed);
  std::vector<int64_t> v(shape_numel(shape));
  for (auto& e : v) e = rng() % 5 == 0 ? ignore : static_cast<int64_t>(rng() % static_cast<uint64_t>(classes));
  return from_vector(v, shape);
}

}  // namespace

// --- fused optimizer updates ---------------------------------------------------------------------

TEST_CASE("cuda optim: fused SGD and Adam/AdamW updates are bit-identical to the CPU") {
  struct SgdCase {
    const char* name;
    SgdUpdate u;
  };
  const SgdCase sgd_cases[] = {{"plain", {0.1, 0, 0, false}},
                               {"momentum", {0.1, 0.9, 0, false}},
                               {"nesterov_wd", {0.05, 0.9, 0.01, true}}};
  for (DType dt : {DType::f32, DType::f64}) {
    for (int64_t n : {int64_t{1}, int64_t{1000}, int64_t{(1 << 20) + 3}}) {
      for (const SgdCase& c : sgd_cases) {
        INFO("sgd " << c.name << " " << dtype_name(dt) << " n " << n);
        Tensor p = test::rand({n}, 1, -1, 1, dt), pg = to(p, kCuda);
        Tensor buf = c.u.momentum != 0 ? zeros({n}, dt) : Tensor();
        Tensor bufg = buf.defined() ? to(buf, kCuda) : Tensor();
        for (int step = 0; step < 3; ++step) {
          Tensor g = test::rand({n}, 10 + step, -1, 1, dt);
          sgd_update_(p, g, buf, c.u);
          sgd_update_(pg, to(g, kCuda), bufg, c.u);
        }
        REQUIRE(pg.device() == kCuda);
        REQUIRE(bit_equal(pg, p));
        if (buf.defined()) REQUIRE(bit_equal(bufg, buf));
      }
      for (bool decoupled : {false, true}) {
        INFO((decoupled ? "adamw " : "adam ") << dtype_name(dt) << " n " << n);
        Tensor p = test::rand({n}, 2, -1, 1, dt), pg = to(p, kCuda);
        Tensor m = zeros({n}, dt), v = zeros({n}, dt), mg = to(m, kCuda), vg = to(v, kCuda);
        for (int step = 1; step <= 3; ++step) {
          Tensor g = test::rand({n}, 20 + step, -1, 1, dt);
          AdamUpdate u{0.01, 0.9, 0.999, 1e-8, 0.1, decoupled, step};
          adam_update_(p, g, m, v, u);
          adam_update_(pg, to(g, kCuda), mg, vg, u);
        }
        REQUIRE(bit_equal(pg, p));
        REQUIRE(bit_equal(mg, m));
        REQUIRE(bit_equal(vg, v));
      }
    }
  }
}

TEST_CASE("cuda optim: non-contiguous parameters and broadcast gradients on the device") {
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

TEST_CASE("cuda optim: optimizers on CUDA parameters match the CPU, and state moves across devices") {
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

TEST_CASE("cuda optim: clip_grad_norm on CUDA grads matches the CPU") {
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

// --- losses ------------------------------------------------------------------------------------------

TEST_CASE("cuda losses: cross_entropy and nll_loss match the CPU, every option, spatial") {
  for (DType dt : {DType::f32, DType::f64}) {
    for (const Shape& shape : {Shape{64, 10}, Shape{4, 5, 7, 9}, Shape{0, 3}}) {
      const int64_t c = shape[1];
      Shape ts = shape;
      ts.erase(ts.begin() + 1);
      Tensor x = test::rand(shape, 31, -3, 3, dt);
      Tensor t = random_targets(ts, c, 32, -100);
      Tensor w = test::rand({c}, 33, 0.2, 2, dt);
      for (bool weighted : {false, true}) {
        for (double ls : {0.0, 0.1}) {
          for (Reduction r : {Reduction::none, Reduction::mean, Reduction::sum}) {
            INFO(dtype_name(dt) << " " << shape_str(shape) << " weighted " << weighted << " label_smoothing " << ls
                                << " " << reduction_name(r));
            if (shape[0] == 0 && r == Reduction::mean) continue;  // NaN on both: nothing to compare
            auto f = [&](const std::vector<Tensor>& in) {
              CrossEntropyOptions o;
              if (weighted) o.weight = in[2];
              o.label_smoothing = ls;
              o.reduction = r;
              return cross_entropy(in[0], in[1], o);
            };
            check_parity(f, {x, t, w}, loss_tol(dt), loss_grad_tol(dt));
            if (ls == 0) {
              auto g = [&](const std::vector<Tensor>& in) {
                CrossEntropyOptions o;
                if (weighted) o.weight = in[2];
                o.reduction = r;
                return nll_loss(log_softmax(in[0], 1), in[1], o);
              };
              check_parity(g, {x, t, w}, loss_tol(dt), loss_grad_tol(dt));
            }
          }
        }
      }
    }
  }
}

TEST_CASE("cuda losses: a class index out of range is reported on CUDA as on the CPU") {
  Tensor x = to(test::rand({4, 3}, 34), kCuda);
  Tensor t = to(from_vector<int64_t>({0, 9, 1, 2}, {4}), kCuda);
  REQUIRE_THROWS_WITH(cross_entropy(x, t), Catch::Contains("target class index 9"));
}

TEST_CASE("cuda losses: mse, l1, smooth_l1 and bce_with_logits match the CPU") {
  for (DType dt : {DType::f32, DType::f64}) {
    Tensor x = test::rand({37, 11}, 41, -3, 3, dt), y = test::rand({37, 11}, 42, -3, 3, dt);
    Tensor p = test::rand({37, 11}, 43, 0, 1, dt), pw = test::rand({11}, 44, 0.5, 3, dt);
    for (Reduction r : {Reduction::none, Reduction::mean, Reduction::sum}) {
      INFO(dtype_name(dt) << " " << reduction_name(r));
      check_parity([&](const std::vector<Tensor>& in) { return mse_loss(in[0], in[1], r); }, {x, y}, loss_tol(dt),
                   loss_grad_tol(dt));
      check_parity([&](const std::vector<Tensor>& in) { return l1_loss(in[0], in[1], r); }, {x, y}, loss_tol(dt),
                   loss_grad_tol(dt));
      check_parity([&](const std::vector<Tensor>& in) { return smooth_l1_loss(in[0], in[1], 0.7, r); }, {x, y},
                   loss_tol(dt), loss_grad_tol(dt));
      check_parity([&](const std::vector<Tensor>& in) { return bce_with_logits(in[0], in[1], r); }, {x, p},
                   loss_tol(dt), loss_grad_tol(dt));
      check_parity([&](const std::vector<Tensor>& in) { return bce_with_logits(in[0], in[1], r, in[2]); },
                   {x, p, pw}, loss_tol(dt), loss_grad_tol(dt));
    }
  }
}
