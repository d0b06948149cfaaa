// The golden-file runner (see golden.h).
#include "tests/golden.h"

#include <catch2/catch.hpp>

#include <fstream>

#include "tests/helpers.h"

namespace oc::test {

using json = nlohmann::json;

Tensor decode_golden(const json& j) {
  Shape shape = j["shape"].get<Shape>();
  std::string dt = j["dtype"];
  if (dt == "int64") return from_vector(j["data"].get<std::vector<int64_t>>(), shape);
  if (dt == "bool") return from_vector(j["data"].get<std::vector<bool>>(), shape);
  return from_vector(j["data"].get<std::vector<double>>(), shape);
}

void run_golden_file(const std::string& file, const std::map<std::string, GoldenOp>& ops, size_t min_cases,
                     double atol, double rtol) {
  std::ifstream f(std::string(OCELLUS_SOURCE_DIR) + "/tests/data/" + file);
  INFO("golden file tests/data/" << file);
  REQUIRE(f.good());
  json data = json::parse(f);
  REQUIRE(data["cases"].size() >= min_cases);
  for (const json& c : data["cases"]) {
    std::string name = c["name"];
    INFO("golden case " << name);
    REQUIRE(ops.count(c["op"]));
    std::vector<Tensor> inputs;
    for (const json& j : c["inputs"]) {
      Tensor t = decode_golden(j);
      if (j["requires_grad"].get<bool>()) t.set_requires_grad();
      inputs.push_back(t);
    }
    Tensor out = ops.at(c["op"])(inputs, c["params"]);
    Tensor want = decode_golden(c["output"]);
    if (want.dtype() == DType::f64) {
      REQUIRE_CLOSE(out, want, atol, rtol);
    } else {
      REQUIRE(out.shape() == want.shape());
      REQUIRE(to_vector<int64_t>(out) == to_vector<int64_t>(want));
    }
    if (!c.contains("grads")) continue;
    sum(mul(out, decode_golden(c["weight"]))).backward();
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (c["grads"][i].is_null()) continue;
      INFO("gradient of input " << i);
      REQUIRE(inputs[i].grad().defined());
      REQUIRE_CLOSE(inputs[i].grad(), decode_golden(c["grads"][i]), atol, rtol);
    }
  }
}

}  // namespace oc::test
