// Golden tests: outputs and gradients against PyTorch, from tests/data/golden_core.json
// (written by tools/make_goldens.py, tools/goldens/core.py).
#include <catch2/catch.hpp>

#include "tests/golden.h"

using namespace oc;
using json = nlohmann::json;

namespace {

using OpFn = test::GoldenOp;

std::map<std::string, OpFn> golden_ops() {
  std::map<std::string, OpFn> m;
  m["cat"] = [](auto& in, const json& p) { return cat({in[0], in[1]}, p["dim"]); };
  m["stack"] = [](auto& in, const json& p) { return stack({in[0], in[1]}, p["dim"]); };
  m["pad"] = [](auto& in, const json& p) { return pad(in[0], p["pads"].get<std::vector<int64_t>>(), p["value"]); };
  return m;
}

}  // namespace

TEST_CASE("golden: outputs and gradients match PyTorch for the core ops without a case table") {
  // float64 on both sides: differences are rounding in different evaluation orders.
  test::run_golden_file("golden_core.json", golden_ops(), 3);
}
