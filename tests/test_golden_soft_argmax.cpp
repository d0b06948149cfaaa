// Golden tests of soft_argmax: coordinates, the smooth maximum and the heatmaps' gradient against
// the PyTorch composite (softmax over each flattened map, expectation of the coordinate grids), from
// tests/data/golden_soft_argmax.json (written by tools/make_goldens.py, tools/goldens/soft_argmax.py).
#include <catch2/catch.hpp>

#include "kernels/soft_argmax/soft_argmax.h"
#include "tests/golden.h"

using namespace oc;
using json = nlohmann::json;

namespace {

std::map<std::string, test::GoldenOp> golden_ops() {
  std::map<std::string, test::GoldenOp> m;
  // inputs: heatmaps; the output is (x, y[, z]) with the value as a last column when with_value.
  m["soft_argmax"] = [](const std::vector<Tensor>& in, const json& p) {
    SoftArgmaxOptions o;
    o.beta = p["beta"].get<double>();
    o.coordinates = soft_argmax_coords_from_string(p["coordinates"].get<std::string>());
    if (!p["with_value"].get<bool>()) return soft_argmax(in[0], o);
    SoftArgmaxResult r = soft_argmax_with_value(in[0], o);
    return cat({r.coords, unsqueeze(r.value, 2)}, 2);
  };
  return m;
}

}  // namespace

TEST_CASE("golden: soft_argmax matches the PyTorch composite, coordinates, value and gradients",
          "[golden][soft_argmax]") {
  // float64 on both sides, atol 1e-12, rtol 1e-10 (the default bounds): PyTorch materializes the
  // softmax and sums p * coordinate per axis, we keep rescaled running sums and divide once; over at
  // most 192 pixels with coordinates below 16, the two orders differ by a few 1e-15. The gradients
  // (beta up to 100 times probabilities times pixel offsets, magnitudes up to ~1e3) by a few 1e-13.
  test::run_golden_file("golden_soft_argmax.json", golden_ops(), 38);
}
