// The CPU checks of the op case tables (tests/op_cases.h), registered as one Catch2 test per case and
// check: "<case> forward" (against the reference, float64 and float32), "<case> gradient" (float64
// central differences) and "<case> golden" (PyTorch's numbers in tests/data/golden_<family>.json).
#include "tests/op_case_tests.h"

#include <fstream>
#include <map>
#include <set>

#include "tests/golden.h"
#include "tests/helpers.h"
#include "tests/op_cases.h"
#include "tests/register_test.h"

namespace oc::test {
namespace {

using json = nlohmann::json;

void check_forward(const OpCase& c) {
  for (DType dt : {DType::f64, DType::f32}) {
    INFO(dtype_name(dt) << " inputs");
    const std::vector<Tensor> in = c.make_inputs(dt);
    std::vector<Tensor> in64;
    for (const Tensor& t : in) in64.push_back(is_floating(t.dtype()) ? to(t, DType::f64) : t);
    const Tensor got = c.run(in), want = c.reference(in64);
    if (is_floating(got.dtype())) REQUIRE(got.dtype() == dt);
    const Tol tol = dt == DType::f64 ? c.fwd64 : c.fwd32;
    REQUIRE_CLOSE(got, want, tol.atol, tol.rtol);
  }
}

void check_gradient(const OpCase& c) {
  std::vector<Tensor> in = c.make_inputs(DType::f64);
  for (Tensor& t : in)
    if (is_floating(t.dtype())) t.set_requires_grad();
  REQUIRE_GRADCHECK(c.run, in, c.eps, c.grad.atol, c.grad.rtol);
}

json read_golden_file(const std::string& family) {
  const std::string file = "tests/data/golden_" + family + ".json";
  std::ifstream f(std::string(OCELLUS_SOURCE_DIR) + "/" + file);
  INFO(file << ": run `make goldens` and commit it");
  REQUIRE(f.good());
  return json::parse(f);
}

void check_golden(const OpCase& c) {
  const json data = read_golden_file(c.family);
  const std::string name = c.name();
  const json* entry = nullptr;
  for (const json& e : data["cases"])
    if (e["name"] == name) entry = &e;
  if (!entry) FAIL("tests/data/golden_" << c.family << ".json has no entry \"" << name << "\": run `make goldens`");
  const std::vector<Tensor> in = c.make_inputs(DType::f64);
  REQUIRE((*entry)["inputs"].size() == in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    INFO("input " << i << " differs from the one PyTorch saw: run `make goldens`");
    REQUIRE_CLOSE(in[i], decode_golden((*entry)["inputs"][i]), 0, 0);
  }
  check_golden_entry(*entry, in, c.run, c.golden_tol.atol, c.golden_tol.rtol);
}

// Every entry of the family's golden file is a row of its table (a renamed or removed row leaves none behind).
void check_golden_file(const std::string& family) {
  std::set<std::string> names;
  for (const OpCase& c : op_cases())
    if (c.family == family && c.golden) names.insert(c.name());
  const json file = read_golden_file(family);  // kept alive: a range over a temporary's member dangles
  for (const json& e : file["cases"]) {
    INFO("golden entry \"" << e["name"].get<std::string>() << "\" is no case of the table: run `make goldens`");
    CHECK(names.count(e["name"]));
  }
}

}  // namespace

void register_op_case_tests() {
  std::set<std::string> golden_families;
  for (const OpCase& c : op_cases()) {
    const std::string tags = "[op_cases][" + c.family + "]";
    if (c.reference) register_test(c.name() + " forward", tags, [&c] { check_forward(c); });
    if (c.gradient) register_test(c.name() + " gradient", tags, [&c] { check_gradient(c); });
    if (c.golden) {
      register_test(c.name() + " golden", tags + "[golden]", [&c] { check_golden(c); });
      golden_families.insert(c.family);
    }
  }
  for (const std::string& family : golden_families)
    register_test("golden_" + family + ".json holds only cases of the " + family + " table", "[op_cases][golden]",
                  [family] { check_golden_file(family); });
}

}  // namespace oc::test
