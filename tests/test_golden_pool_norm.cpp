// Golden tests of upsampling (pooling and batch norm have case tables): outputs and
// gradients against PyTorch, from tests/data/golden_pool_norm.json (written by tools/make_goldens.py,
// tools/goldens/pool_norm.py).
#include <catch2/catch.hpp>

#include "tests/golden.h"

using namespace oc;
using json = nlohmann::json;

namespace {

std::map<std::string, test::GoldenOp> golden_ops() {
  std::map<std::string, test::GoldenOp> m;
  m["upsample_nearest2d"] = [](auto& in, const json& p) { return upsample_nearest2d(in[0], p["out"][0], p["out"][1]); };
  m["upsample_bilinear2d"] = [](auto& in, const json& p) {
    return upsample_bilinear2d(in[0], p["out"][0], p["out"][1], p["align_corners"].get<bool>());
  };
  return m;
}

}  // namespace

TEST_CASE("golden: upsampling matches PyTorch, outputs and gradients") {
  // float64 on both sides. Upsampling differs from PyTorch only in the order of additions
  // (1e-15 relative).
  test::run_golden_file("golden_pool_norm.json", golden_ops(), 11, 1e-12, 1e-10);
}
