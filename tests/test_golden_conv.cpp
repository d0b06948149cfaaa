// Golden tests for conv2d and conv_transpose2d: outputs and the gradients of x, w and bias against
// PyTorch's F.conv2d / F.conv_transpose2d, from tests/data/golden_conv.json (written by
// tools/make_goldens.py, tools/goldens/conv.py).
#include <catch2/catch.hpp>

#include "tests/golden.h"

using namespace oc;
using json = nlohmann::json;

namespace {

Tensor bias_of(const std::vector<Tensor>& in) { return in.size() > 2 ? in[2] : Tensor(); }

std::map<std::string, test::GoldenOp> golden_ops() {
  std::map<std::string, test::GoldenOp> m;
  m["conv2d"] = [](const std::vector<Tensor>& in, const json& p) {
    Conv2dParams c;
    c.stride_h = p["stride"][0], c.stride_w = p["stride"][1];
    c.pad_h = p["padding"][0], c.pad_w = p["padding"][1];
    c.dilation_h = p["dilation"][0], c.dilation_w = p["dilation"][1];
    c.groups = p["groups"];
    return conv2d(in[0], in[1], bias_of(in), c);
  };
  m["conv_transpose2d"] = [](const std::vector<Tensor>& in, const json& p) {
    ConvTranspose2dParams c;
    c.stride_h = p["stride"][0], c.stride_w = p["stride"][1];
    c.pad_h = p["padding"][0], c.pad_w = p["padding"][1];
    c.output_pad_h = p["output_padding"][0], c.output_pad_w = p["output_padding"][1];
    c.dilation_h = p["dilation"][0], c.dilation_w = p["dilation"][1];
    c.groups = p["groups"];
    return conv_transpose2d(in[0], in[1], bias_of(in), c);
  };
  return m;
}

}  // namespace

TEST_CASE("golden: conv2d and conv_transpose2d outputs and gradients match PyTorch") {
  // float64 on both sides; sums of up to ~150 products reorder differently than PyTorch's (im2col +
  // BLAS as well, but other blockings): rounding at 1e-15 relative, far inside these bounds.
  test::run_golden_file("golden_conv.json", golden_ops(), 24, 1e-12, 1e-10);
}
