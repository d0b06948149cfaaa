// Golden tests of batch norm and upsampling (pooling's come from its case table): outputs and
// gradients against PyTorch, from tests/data/golden_pool_norm.json (written by tools/make_goldens.py,
// tools/goldens/pool_norm.py).
#include <catch2/catch.hpp>

#include "tests/golden.h"

using namespace oc;
using json = nlohmann::json;

namespace {

Tensor param_vector(const json& p, const char* key) {
  std::vector<double> v = p[key].get<std::vector<double>>();
  return from_vector(v, {static_cast<int64_t>(v.size())});
}

std::map<std::string, test::GoldenOp> golden_ops() {
  std::map<std::string, test::GoldenOp> m;
  m["batch_norm"] = [](auto& in, const json& p) {
    const bool affine = p["affine"];
    Tensor rm, rv;
    if (p.contains("running_mean")) {
      rm = param_vector(p, "running_mean");
      rv = param_vector(p, "running_var");
    }
    return batch_norm(in[0], affine ? in[1] : Tensor(), affine ? in[2] : Tensor(), rm, rv, p["training"],
                      p["momentum"], p["eps"]);
  };
  // The running statistics after one training step, as cat(running_mean, running_var).
  m["batch_norm_running"] = [](auto& in, const json& p) {
    Tensor rm = param_vector(p, "running_mean"), rv = param_vector(p, "running_var");
    batch_norm(in[0], Tensor(), Tensor(), rm, rv, true, p["momentum"], p["eps"]);
    return cat({rm, rv}, 0);
  };
  m["upsample_nearest2d"] = [](auto& in, const json& p) { return upsample_nearest2d(in[0], p["out"][0], p["out"][1]); };
  m["upsample_bilinear2d"] = [](auto& in, const json& p) {
    return upsample_bilinear2d(in[0], p["out"][0], p["out"][1], p["align_corners"].get<bool>());
  };
  return m;
}

}  // namespace

TEST_CASE("golden: batch norm and upsampling match PyTorch, outputs and gradients") {
  // float64 on both sides. Upsampling differs from PyTorch only in the order of additions
  // (1e-15 relative); batch norm's fused backward re-associates sums of 24 terms: the same order.
  test::run_golden_file("golden_pool_norm.json", golden_ops(), 19, 1e-12, 1e-10);
}
