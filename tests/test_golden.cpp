// Golden tests: outputs and gradients against PyTorch, from tests/data/golden_core.json
// (written by tools/make_goldens.py, tools/goldens/core.py).
#include <catch2/catch.hpp>

#include "tests/golden.h"

using namespace oc;
using json = nlohmann::json;

namespace {

Axes axes_of(const json& p) { return p["axes"].get<Axes>(); }

using OpFn = test::GoldenOp;

std::map<std::string, OpFn> golden_ops() {
  std::map<std::string, OpFn> m;
  auto binary = [&](const char* name, Tensor (*f)(const Tensor&, const Tensor&)) {
    m[name] = [f](const std::vector<Tensor>& in, const json&) { return f(in[0], in[1]); };
  };
  binary("matmul", matmul);
  m["sum"] = [](auto& in, const json& p) { return sum(in[0], axes_of(p), p["keepdim"]); };
  m["mean"] = [](auto& in, const json& p) { return mean(in[0], axes_of(p), p["keepdim"]); };
  m["var"] = [](auto& in, const json& p) { return var(in[0], axes_of(p), p["correction"], p["keepdim"]); };
  m["max"] = [](auto& in, const json& p) { return max(in[0], axes_of(p), p["keepdim"]); };
  m["min"] = [](auto& in, const json& p) { return min(in[0], axes_of(p), p["keepdim"]); };
  m["argmax"] = [](auto& in, const json& p) { return argmax(in[0], p["axis"], p["keepdim"]); };
  m["argmin"] = [](auto& in, const json& p) { return argmin(in[0], p["axis"], p["keepdim"]); };
  m["softmax"] = [](auto& in, const json& p) { return softmax(in[0], p["axis"]); };
  m["log_softmax"] = [](auto& in, const json& p) { return log_softmax(in[0], p["axis"]); };
  m["cat"] = [](auto& in, const json& p) { return cat({in[0], in[1]}, p["dim"]); };
  m["stack"] = [](auto& in, const json& p) { return stack({in[0], in[1]}, p["dim"]); };
  m["pad"] = [](auto& in, const json& p) { return pad(in[0], p["pads"].get<std::vector<int64_t>>(), p["value"]); };
  m["gather"] = [](auto& in, const json& p) { return gather(in[0], p["dim"], in[1]); };
  m["scatter_add"] = [](auto& in, const json& p) { return scatter_add(in[0], p["dim"], in[1], in[2]); };
  m["index_select"] = [](auto& in, const json& p) { return index_select(in[0], p["dim"], in[1]); };
  return m;
}

}  // namespace

TEST_CASE("golden: outputs and gradients match PyTorch for the core ops without a case table") {
  // float64 on both sides: differences are rounding in different evaluation orders.
  test::run_golden_file("golden_core.json", golden_ops(), 20);
}
