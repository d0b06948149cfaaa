// Golden tests: every loss's output and gradients against torch.nn.functional, from
// tests/data/golden_losses.json (written by tools/make_goldens.py losses, tools/goldens/losses.py).
#include <catch2/catch.hpp>

#include "losses/losses.h"
#include "tests/golden.h"

using namespace oc;
using json = nlohmann::json;

namespace {

// A constant [n] float64 tensor from a JSON list, or undefined for null.
Tensor optional_vector(const json& j) {
  if (j.is_null()) return Tensor();
  std::vector<double> v = j.get<std::vector<double>>();
  return from_vector(v, {static_cast<int64_t>(v.size())});
}

CrossEntropyOptions ce_options(const json& p) {
  CrossEntropyOptions o;
  o.weight = optional_vector(p["weight"]);
  o.ignore_index = p["ignore_index"];
  o.label_smoothing = p["label_smoothing"];
  o.reduction = parse_reduction(p["reduction"]);
  return o;
}

std::map<std::string, test::GoldenOp> loss_ops() {
  std::map<std::string, test::GoldenOp> m;
  m["cross_entropy"] = [](auto& in, const json& p) { return cross_entropy(in[0], in[1], ce_options(p)); };
  m["nll_loss"] = [](auto& in, const json& p) { return nll_loss(in[0], in[1], ce_options(p)); };
  m["mse_loss"] = [](auto& in, const json& p) { return mse_loss(in[0], in[1], parse_reduction(p["reduction"])); };
  m["l1_loss"] = [](auto& in, const json& p) { return l1_loss(in[0], in[1], parse_reduction(p["reduction"])); };
  m["smooth_l1_loss"] = [](auto& in, const json& p) {
    return smooth_l1_loss(in[0], in[1], p["beta"], parse_reduction(p["reduction"]));
  };
  m["bce_with_logits"] = [](auto& in, const json& p) {
    return bce_with_logits(in[0], in[1], parse_reduction(p["reduction"]), optional_vector(p["pos_weight"]));
  };
  return m;
}

}  // namespace

TEST_CASE("losses golden: outputs and gradients match torch.nn.functional") {
  // float64 on both sides: the differences are rounding in other evaluation orders (log_softmax's
  // row sums, the mean's divisor); 1e-12 absolute leaves three orders of magnitude of headroom.
  test::run_golden_file("golden_losses.json", loss_ops(), 36, 1e-12, 1e-10);
}
