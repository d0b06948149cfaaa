// CUDA vs CPU for every loss with its gradients. Without a GPU the runner exits 77 (ctest: skipped).
#include <catch2/catch.hpp>

#include <functional>
#include <random>

#include "losses/losses.h"
#include "tests/cuda/parity.h"

using namespace oc;
using namespace oc::test;

namespace {

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
