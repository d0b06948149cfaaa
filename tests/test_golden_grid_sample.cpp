// Golden tests of affine_grid and grid_sample: outputs and the gradients of input, grid and theta
// against PyTorch's F.affine_grid / F.grid_sample, from tests/data/golden_grid_sample.json (written by
// tools/make_goldens.py, tools/goldens/grid_sample.py).
#include <catch2/catch.hpp>

#include "kernels/grid_sample/grid_sample.h"
#include "tests/golden.h"

using namespace oc;
using json = nlohmann::json;

namespace {

GridSampleOptions options_of(const json& p) {
  GridSampleOptions o;
  o.mode = grid_sample_mode_from_string(p["mode"].get<std::string>());
  o.padding = grid_padding_from_string(p["padding"].get<std::string>());
  o.align_corners = p["align_corners"].get<bool>();
  return o;
}

std::map<std::string, test::GoldenOp> golden_ops() {
  std::map<std::string, test::GoldenOp> m;
  // inputs: input, grid.
  m["grid_sample"] = [](const std::vector<Tensor>& in, const json& p) { return grid_sample(in[0], in[1], options_of(p)); };
  // inputs: theta.
  m["affine_grid"] = [](const std::vector<Tensor>& in, const json& p) {
    return affine_grid(in[0], p["size"].get<std::vector<int64_t>>(), p["align_corners"].get<bool>());
  };
  // inputs: input, theta; the grid has the output's size and the same align_corners as the sampling.
  m["affine_grid_sample"] = [](const std::vector<Tensor>& in, const json& p) {
    const GridSampleOptions o = options_of(p);
    return grid_sample(in[0], affine_grid(in[1], p["size"].get<std::vector<int64_t>>(), o.align_corners), o);
  };
  return m;
}

}  // namespace

TEST_CASE("golden: affine_grid and grid_sample match PyTorch, outputs and gradients of input, grid and theta",
          "[golden][grid_sample][affine_grid]") {
  // float64 on both sides, the default bounds (atol 1e-12, rtol 1e-10): the sampling weights are
  // products of at most three (bilinear) or two cubic (bicubic) factors of coordinates below 20 in
  // pixel units, and each output sums at most 16 terms, so re-associated sums or a different but
  // exact reflection formula differ from PyTorch by a few 1e-15.
  test::run_golden_file("golden_grid_sample.json", golden_ops(), 104);
}
