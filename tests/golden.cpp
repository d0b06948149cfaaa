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
    for (const json& j : c["inputs"]) inputs.push_back(decode_golden(j));
    const GoldenOp& op = ops.at(c["op"]);
    check_golden_entry(c, inputs, [&](const std::vector<Tensor>& in) { return op(in, c["params"]); }, atol, rtol);
  }
}

void check_golden_entry(const json& c, std::vector<Tensor> inputs,
                        const std::function<Tensor(const std::vector<Tensor>&)>& f, double atol, double rtol) {
  for (size_t i = 0; i < inputs.size(); ++i)
    if (c["inputs"][i]["requires_grad"].get<bool>()) inputs[i] = inputs[i].detach().set_requires_grad();
  Tensor out = f(inputs);
  Tensor want = decode_golden(c["output"]);
  if (want.dtype() == DType::f64) {
    REQUIRE_CLOSE(out, want, atol, rtol);
  } else {
    REQUIRE(out.shape() == want.shape());
    REQUIRE(to_vector<int64_t>(out) == to_vector<int64_t>(want));
  }
  if (!c.contains("grads")) return;
  sum(mul(out, decode_golden(c["weight"]))).backward();
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (c["grads"][i].is_null()) continue;
    INFO("gradient of input " << i);
    REQUIRE(inputs[i].grad().defined());
    REQUIRE_CLOSE(inputs[i].grad(), decode_golden(c["grads"][i]), atol, rtol);
  }
}

}  // namespace oc::test
