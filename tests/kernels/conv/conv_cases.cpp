// The conv case table: conv2d and conv_transpose2d over stride, padding, dilation, groups,
// depthwise, 1x1 and edge shapes, against the loops of their definitions (conv_reference.h), by
// float64 finite differences, against PyTorch's F.conv2d / F.conv_transpose2d
// (tools/goldens/conv.py), CUDA's implicit GEMM against the CPU's im2col + GEMM, and the shapes of
// `ocellus bench conv2d`.
#include "tests/kernels/conv/conv_reference.h"
#include "tests/op_cases.h"

namespace oc::test {
namespace {

using Ints = std::vector<int64_t>;

// Inputs x, w[, bias], uniform in [-1, 1).
OpCase conv_inputs(const std::string& op, const Shape& x, const Shape& w, int64_t bias_size, bool bias) {
  OpCase c;
  c.op = op;
  c.shapes = {x, w};
  if (bias) c.shapes.push_back({bias_size});
  c.inputs = uniform_inputs(c.shapes);
  // float32: sums of up to ~150 products of values in [-1, 1]; float64: rounding only.
  c.fwd64 = {1e-13, 1e-12}, c.fwd32 = {2e-5, 1e-5};
  // CUDA and CPU sum the same products in other orders (and the GPU fuses multiply-adds): float32,
  // up to a few thousand terms in [-1, 1] (weight gradients: N*Ho*Wo terms) within 1e-3; float64 1e-11.
  c.cuda32 = c.cuda32_grad = {1e-3, 1e-4};
  c.cuda64 = c.cuda64_grad = {1e-11, 1e-10};
  // Goldens, float64 both sides (the default bounds): PyTorch's im2col + BLAS blocks its sums
  // otherwise, ~1e-15 relative.
  return c;
}

// conv2d: x [N, C, H, W], w [K, C/groups, R, S], bias [K].
OpCase conv(const Shape& x, const Shape& w, const Conv2dParams& p, bool bias = true) {
  OpCase c = conv_inputs("conv2d", x, w, w[0], bias);
  c.params = {{"stride", Ints{p.stride_h, p.stride_w}},
              {"pad", Ints{p.pad_h, p.pad_w}},
              {"dilation", Ints{p.dilation_h, p.dilation_w}},
              {"groups", p.groups}};
  c.run = [p](const std::vector<Tensor>& in) { return conv2d(in[0], in[1], conv_bias_of(in), p); };
  c.reference = [p](const std::vector<Tensor>& in) { return ref_conv2d(in[0], in[1], conv_bias_of(in), p); };
  return c;
}

// conv_transpose2d: x [N, C, H, W], w [C, K/groups, R, S], bias [K].
OpCase tconv(const Shape& x, const Shape& w, const ConvTranspose2dParams& p, bool bias = true) {
  OpCase c = conv_inputs("conv_transpose2d", x, w, w[1] * p.groups, bias);
  c.params = {{"stride", Ints{p.stride_h, p.stride_w}},
              {"pad", Ints{p.pad_h, p.pad_w}},
              {"output_pad", Ints{p.output_pad_h, p.output_pad_w}},
              {"dilation", Ints{p.dilation_h, p.dilation_w}},
              {"groups", p.groups}};
  c.run = [p](const std::vector<Tensor>& in) { return conv_transpose2d(in[0], in[1], conv_bias_of(in), p); };
  c.reference = [p](const std::vector<Tensor>& in) {
    return ref_conv_transpose2d(in[0], in[1], conv_bias_of(in), p);
  };
  return c;
}

// A row for CUDA parity alone: too large for the loops, or float32 only where the CPU's float64
// GEMM (plain loops) would take long.
OpCase parity_only(OpCase c, bool f32_only = false) {
  c.reference = nullptr;
  if (f32_only) c.parity_dtypes = {DType::f32};
  return c;
}

}  // namespace
}  // namespace oc::test

OC_OP_CASES(conv) {
  using P = Conv2dParams;
  std::vector<OpCase> t;
  // Every combination the kernels branch on: padding, stride, dilation, groups, depthwise (the CPU's
  // direct loops, with and without a channel multiplier), 1x1 (no im2col), non-square everything,
  // and edges; with and without bias. The hand tests also hold their gradients against the loops
  // and run the CUDA kernels' implicit-GEMM index math over these rows (test_conv.cpp).
  const std::vector<std::pair<Shape, Shape>> shapes = {
      {{2, 3, 5, 6}, {4, 3, 3, 3}},    {{3, 2, 7, 9}, {5, 2, 3, 2}},     {{2, 3, 8, 7}, {4, 3, 3, 3}},
      {{2, 3, 9, 11}, {4, 3, 3, 2}},   {{1, 2, 9, 8}, {3, 2, 3, 3}},     {{2, 4, 6, 5}, {6, 2, 3, 3}},
      {{2, 6, 11, 10}, {9, 2, 3, 3}},  {{2, 4, 7, 6}, {4, 1, 3, 3}},     {{2, 3, 7, 8}, {6, 1, 3, 3}},
      {{1, 5, 9, 9}, {5, 1, 3, 3}},    {{2, 2, 6, 7}, {10, 1, 3, 3}},    {{3, 1, 8, 8}, {8, 1, 3, 3}},
      {{2, 5, 4, 3}, {7, 5, 1, 1}},    {{2, 4, 3, 3}, {6, 2, 1, 1}},     {{2, 3, 5, 5}, {4, 3, 1, 1}},
      {{1, 2, 3, 2}, {3, 2, 1, 1}},    {{2, 3, 1, 1}, {4, 3, 1, 1}},     {{2, 3, 1, 1}, {2, 3, 3, 3}},
      {{2, 2, 2, 3}, {3, 2, 5, 5}},    {{1, 2, 9, 10}, {3, 2, 2, 2}},    {{1, 3, 15, 13}, {4, 3, 7, 7}},
      {{2, 16, 31, 29}, {8, 16, 3, 3}}, {{1, 16, 61, 45}, {8, 8, 3, 3}},
  };
  const std::vector<P> params = {
      conv_params(1, 1),                     // 3x3 pad 1
      conv_params(1, 0),                     // no padding, odd sizes
      conv_params(2, 1),                     // stride 2 pad 1
      conv_params(2, 3, 2, 1, 2, 3, 1),      // asymmetric stride, padding, dilation
      conv_params(1, 2, 2),                  // dilation 2 (atrous)
      conv_params(2, 1, 1, 2),               // groups 2
      conv_params(2, 2, 2, 3),               // groups 3, dilation 2, stride 2
      conv_params(1, 1, 1, 4),               // depthwise
      conv_params(2, 1, 1, 3),               // depthwise, multiplier 2, stride 2
      conv_params(1, 2, 2, 5),               // depthwise atrous
      conv_params(1, 1, 1, 2),               // one input channel per group, more outputs than the direct loops take: GEMMs
      conv_params(1, 1),                     // a single input channel (a grayscale stem)
      conv_params(1, 0),                     // 1x1
      conv_params(1, 0, 1, 2),               // 1x1 groups 2
      conv_params(2, 0),                     // 1x1 stride 2
      conv_params(1, 1),                     // 1x1 padded
      conv_params(1, 0),                     // 1x1 input
      conv_params(1, 1),                     // 1x1 input, 3x3 kernel pad 1
      conv_params(1, 2),                     // kernel larger than the input, padded
      conv_params(3, 0),                     // stride larger than the kernel
      conv_params(2, 3),                     // 7x7 stride 2 pad 3 (a stem)
      conv_params(1, 1),                     // more output pixels than one im2col tile: tiles that end mid-row
      conv_params(2, 1, 1, 2),               // several tiles, stride 2, groups 2
  };
  for (size_t i = 0; i < shapes.size(); ++i)
    for (bool bias : {false, true}) t.push_back(conv(shapes[i].first, shapes[i].second, params[i], bias));

  // Float64 finite differences of x, w and bias.
  t.push_back(with_checks(conv({2, 2, 5, 4}, {3, 2, 3, 2}, conv_params(2, 1)), true, false));
  t.push_back(with_checks(conv({1, 4, 6, 5}, {4, 2, 2, 3}, conv_params(1, 2, 1, 2, 2, 1, 2)), true, false));
  t.push_back(with_checks(conv({2, 3, 4, 4}, {3, 1, 3, 3}, conv_params(1, 1, 1, 3)), true, false));
  t.push_back(with_checks(conv({2, 3, 3, 2}, {2, 3, 1, 1}, conv_params(1, 0)), true, false));

  // PyTorch's F.conv2d, outputs and the gradients of x, w and bias.
  for (const OpCase& c : {
           conv({2, 3, 6, 5}, {4, 3, 3, 3}, conv_params(1, 1)),
           conv({2, 3, 5, 5}, {2, 3, 3, 3}, conv_params(1, 0), false),
           conv({1, 3, 9, 8}, {4, 3, 3, 3}, conv_params(2, 1)),
           conv({1, 2, 9, 11}, {3, 2, 3, 2}, conv_params(2, 3, 1, 0, 1, 1, 1)),
           conv({1, 2, 9, 9}, {3, 2, 3, 3}, conv_params(1, 2, 2)),
           conv({2, 2, 10, 9}, {2, 2, 3, 2}, conv_params(1, 2, 3, 1, 3, 2, 1)),
           conv({1, 4, 7, 6}, {6, 2, 3, 3}, conv_params(1, 1, 1, 2)),
           conv({1, 6, 9, 8}, {9, 2, 3, 3}, conv_params(2, 2, 2, 3)),
           conv({1, 4, 6, 7}, {4, 1, 3, 3}, conv_params(1, 1, 1, 4)),
           conv({2, 3, 8, 7}, {6, 1, 3, 3}, conv_params(2, 1, 1, 3)),
           conv({1, 4, 9, 9}, {4, 1, 3, 3}, conv_params(1, 2, 2, 4)),
           conv({2, 5, 4, 3}, {3, 5, 1, 1}, conv_params(1, 0)),
           conv({2, 3, 5, 6}, {4, 3, 1, 1}, conv_params(2, 0)),
           conv({1, 3, 11, 9}, {3, 3, 7, 7}, conv_params(2, 3)),
           conv({2, 2, 2, 3}, {3, 2, 5, 5}, conv_params(1, 2)),
           conv({3, 2, 1, 1}, {2, 2, 3, 3}, conv_params(1, 1)),
       })
    t.push_back(with_checks(c, false, true));

  // CUDA against the CPU: the implicit-GEMM kernels' configurations, and shapes large enough for
  // the 128x128 float32 tiles and the split weight-gradient path.
  for (const OpCase& c : {
           conv({2, 3, 9, 10}, {5, 3, 3, 3}, conv_params(1, 1)),
           conv({3, 5, 13, 11}, {7, 5, 3, 3}, conv_params(2, 1)),
           conv({2, 3, 15, 17}, {4, 3, 3, 2}, conv_params(2, 3, 1, 0, 2, 1, 1)),
           conv({2, 4, 17, 16}, {6, 4, 3, 3}, conv_params(1, 3, 3)),
           conv({2, 8, 9, 9}, {6, 4, 3, 3}, conv_params(1, 1, 1, 2)),
           conv({2, 16, 12, 12}, {16, 1, 3, 3}, conv_params(1, 1, 1, 16)),
           conv({2, 8, 13, 13}, {16, 1, 5, 5}, conv_params(2, 2, 1, 8)),
           conv({2, 24, 7, 9}, {40, 24, 1, 1}, conv_params(1, 0)),
           conv({3, 5, 1, 1}, {4, 5, 3, 3}, conv_params(1, 1)),
           conv({2, 3, 2, 3}, {4, 3, 5, 5}, conv_params(1, 2)),
           conv({2, 3, 40, 36}, {16, 3, 7, 7}, conv_params(2, 3)),
           conv({4, 8, 24, 24}, {8, 8, 3, 3}, conv_params(1, 1)),  // the weight gradient split 4 ways
       })
    t.push_back(parity_only(c));
  // 128x128 tiles, and a deep weight gradient (N*Ho*Wo = 32768) split over blocks; many channels.
  t.push_back(parity_only(conv({32, 16, 32, 32}, {160, 16, 3, 3}, conv_params(1, 1)), true));
  t.push_back(parity_only(conv({4, 96, 16, 16}, {128, 96, 3, 3}, conv_params(1, 1)), true));

  // conv_transpose2d against its scatter definition, with and without bias (the hand tests hold its
  // gradients against the adjoint loops over these rows).
  ConvTranspose2dParams mixed = tconv_params(2, 1, 0);
  mixed.stride_w = 3, mixed.pad_w = 0, mixed.output_pad_h = 1, mixed.output_pad_w = 2, mixed.dilation_w = 2;
  const std::vector<OpCase> transposed = {
      tconv({2, 3, 4, 5}, {3, 2, 3, 3}, tconv_params(1, 0, 0)),
      tconv({2, 3, 4, 3}, {3, 4, 3, 3}, tconv_params(2, 1, 1)),
      tconv({1, 2, 3, 4}, {2, 3, 3, 2}, mixed),                          // mixed per-axis parameters
      tconv({1, 2, 4, 4}, {2, 2, 3, 3}, tconv_params(1, 1, 1, 2)),       // output padding < dilation, stride 1
      tconv({2, 4, 3, 3}, {4, 3, 2, 2}, tconv_params(2, 0, 1, 1, 2)),    // groups 2
      tconv({1, 3, 4, 3}, {3, 1, 3, 3}, tconv_params(2, 1, 0, 1, 3)),    // depthwise
      tconv({2, 3, 3, 3}, {3, 5, 1, 1}, tconv_params(1, 0, 0)),          // 1x1
      tconv({2, 3, 1, 1}, {3, 2, 3, 3}, tconv_params(2, 0, 0)),          // 1x1 input
      tconv({1, 8, 23, 21}, {8, 16, 4, 4}, tconv_params(2, 1, 0)),       // several tiles
  };
  for (const OpCase& c : transposed) {
    OpCase no_bias = c;
    no_bias.shapes.pop_back();
    no_bias.inputs = uniform_inputs(no_bias.shapes);
    t.push_back(no_bias);
    t.push_back(c);
  }
  for (size_t i = 1; i <= 5; ++i) t.push_back(with_checks(transposed[i], true, false));

  // PyTorch's F.conv_transpose2d.
  ConvTranspose2dParams asym = tconv_params(2, 1, 1);
  asym.stride_w = 3, asym.pad_w = 0, asym.output_pad_w = 2, asym.dilation_w = 2;
  for (const OpCase& c : {
           tconv({2, 3, 4, 5}, {3, 2, 3, 3}, tconv_params(1, 0, 0)),
           tconv({2, 3, 4, 3}, {3, 4, 3, 3}, tconv_params(2, 1, 1)),
           tconv({1, 2, 3, 4}, {2, 3, 3, 2}, asym),
           tconv({1, 2, 4, 4}, {2, 2, 3, 3}, tconv_params(1, 1, 1, 2)),
           tconv({1, 4, 3, 3}, {4, 3, 2, 2}, tconv_params(2, 0, 1, 1, 2)),
           tconv({1, 3, 4, 3}, {3, 1, 3, 3}, tconv_params(2, 1, 0, 1, 3)),
           tconv({2, 3, 3, 3}, {3, 5, 1, 1}, tconv_params(1, 0, 0), false),
           tconv({1, 2, 3, 3}, {2, 2, 4, 4}, tconv_params(4, 0, 0)),  // 4x upsampling
       })
    t.push_back(with_checks(c, false, true));

  // CUDA against the CPU.
  for (const OpCase& c : {
           tconv({2, 3, 6, 7}, {3, 4, 3, 3}, tconv_params(1, 0, 0)),
           tconv({2, 8, 9, 8}, {8, 6, 3, 3}, tconv_params(2, 1, 1)),
           tconv({1, 4, 7, 7}, {4, 3, 3, 3}, tconv_params(1, 2, 1, 2)),
           tconv({2, 8, 5, 6}, {8, 3, 4, 4}, tconv_params(2, 1, 0, 1, 2)),
           tconv({2, 6, 7, 7}, {6, 1, 3, 3}, tconv_params(2, 1, 1, 1, 6)),
       })
    t.push_back(parity_only(c));
  t.push_back(parity_only(tconv({8, 64, 16, 16}, {64, 32, 4, 4}, tconv_params(2, 1, 0)), true));

  // `ocellus bench conv2d`: three CNN layers (groups 1, square kernels, no bias; bench/torch_conv.py
  // times PyTorch on the same shapes).
  for (const auto& [x, w, p] : {std::tuple{Shape{8, 64, 56, 56}, Shape{64, 64, 3, 3}, conv_params(1, 1)},
                                std::tuple{Shape{8, 3, 224, 224}, Shape{64, 3, 7, 7}, conv_params(2, 3)},
                                std::tuple{Shape{64, 32, 28, 28}, Shape{32, 32, 3, 3}, conv_params(1, 1)}}) {
    OpCase b = parity_only(conv(x, w, p, false));
    b.parity = false, b.bench = true;
    t.push_back(b);
  }
  return t;
}
