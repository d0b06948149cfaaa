// CUDA vs CPU parity for conv2d and conv_transpose2d: the implicit-GEMM kernels against the CPU's
// im2col + GEMM on the same seeded inputs, outputs and the gradients of x, w and bias, over stride,
// padding, dilation, groups, depthwise, 1x1 and edge shapes, and shapes large enough to take the
// 128x128 float32 tiles and the split weight-gradient path. Skipped without a GPU.
#include <catch2/catch.hpp>

#include <functional>
#include <string>

#include "tests/conv_cases.h"
#include "tests/cuda/parity.h"

using namespace oc;
using namespace oc::test;

namespace {

// Both devices sum the same products in different orders (and the GPU fuses multiply-adds): the
// error grows with the number of terms. float32: up to a few thousand terms in [-1, 1] (weight
// gradients: N*Ho*Wo terms) stay within 1e-3 absolute; float64 within 1e-11.
Tol conv_tol(DType dt) { return dt == DType::f32 ? Tol{1e-3, 1e-4} : Tol{1e-11, 1e-10}; }

using Fn = std::function<Tensor(const Tensor&, const Tensor&, const Tensor&)>;

// f(x, w, b) on both devices from the same seeded inputs: outputs and all three gradients.
void check_conv_parity(const Fn& f, const Shape& xs, const Shape& ws, const Shape& bs, DType dt, uint64_t seed) {
  std::vector<Tensor> inputs;
  for (const Shape& s : {xs, ws, bs}) inputs.push_back(test::rand(s, seed++, -1, 1, dt));
  const Tol tol = conv_tol(dt);
  check_parity([&](const std::vector<Tensor>& in) { return f(in[0], in[1], in[2]); }, inputs, tol, tol);
}

}  // namespace

TEST_CASE("cuda parity: conv2d forward and gradients, float32 and float64") {
  Conv2dParams asym = conv_params(2, 1, 2);
  asym.stride_w = 3, asym.pad_w = 0, asym.dilation_w = 1;
  const std::vector<ConvCase> cases = {
      {"3x3 pad 1", {2, 3, 9, 10}, {5, 3, 3, 3}, conv_params(1, 1)},
      {"stride 2, odd sizes", {3, 5, 13, 11}, {7, 5, 3, 3}, conv_params(2, 1)},
      {"asymmetric stride, padding, dilation", {2, 3, 15, 17}, {4, 3, 3, 2}, asym},
      {"dilation 3 (atrous)", {2, 4, 17, 16}, {6, 4, 3, 3}, conv_params(1, 3, 3)},
      {"groups 2", {2, 8, 9, 9}, {6, 4, 3, 3}, conv_params(1, 1, 1, 2)},
      {"depthwise", {2, 16, 12, 12}, {16, 1, 3, 3}, conv_params(1, 1, 1, 16)},
      {"depthwise stride 2, multiplier 2", {2, 8, 13, 13}, {16, 1, 5, 5}, conv_params(2, 2, 1, 8)},
      {"1x1", {2, 24, 7, 9}, {40, 24, 1, 1}, conv_params(1, 0)},
      {"1x1 input", {3, 5, 1, 1}, {4, 5, 3, 3}, conv_params(1, 1)},
      {"kernel larger than the input", {2, 3, 2, 3}, {4, 3, 5, 5}, conv_params(1, 2)},
      {"7x7 stem", {2, 3, 40, 36}, {16, 3, 7, 7}, conv_params(2, 3)},
      {"weight gradient split 4 ways", {4, 8, 24, 24}, {8, 8, 3, 3}, conv_params(1, 1)},
      // Enough 128 x 128 tiles for the large float32 configuration, and a deep weight gradient
      // (N*Ho*Wo = 32768) that is split over blocks.
      {"large: 128x128 tiles, split weight gradient", {32, 16, 32, 32}, {160, 16, 3, 3}, conv_params(1, 1)},
      {"large: many channels", {4, 96, 16, 16}, {128, 96, 3, 3}, conv_params(1, 1)},
  };
  for (const auto& c : cases) {
    for (DType dt : {DType::f32, DType::f64}) {
      if (dt == DType::f64 && c.name.rfind("large", 0) == 0) continue;  // the CPU's float64 GEMM is plain loops
      INFO(c.name << " " << dtype_name(dt));
      check_conv_parity([&](const Tensor& x, const Tensor& w, const Tensor& b) { return conv2d(x, w, b, c.p); }, c.x,
                        c.w, {c.w[0]}, dt, 500);
    }
  }
}

TEST_CASE("cuda parity: conv2d on an empty batch and non-contiguous input") {
  Tensor x = to(zeros({0, 3, 5, 5}), kCuda), w = to(test::rand({4, 3, 3, 3}, 510), kCuda).set_requires_grad();
  Tensor y = conv2d(x, w, Tensor(), conv_params(1, 1));
  REQUIRE(y.shape() == Shape{0, 4, 5, 5});
  sum(y).backward();
  REQUIRE(to_vector<float>(w.grad()) == std::vector<float>(4 * 3 * 9, 0.0f));
  Tensor xs = test::rand({2, 6, 3, 7}, 511);
  Tensor wc = test::rand({4, 3, 3, 3}, 512);
  Tensor want = conv2d(permute(xs, {0, 2, 1, 3}), wc, Tensor(), conv_params(1, 1));
  Tensor got = conv2d(permute(to(xs, kCuda), {0, 2, 1, 3}), to(wc, kCuda), Tensor(), conv_params(1, 1));
  REQUIRE_CLOSE(got, want, 1e-5, 1e-5);
}

TEST_CASE("cuda parity: conv_transpose2d forward and gradients, float32 and float64") {
  struct TCase {
    std::string name;
    Shape x, w;
    ConvTranspose2dParams p;
  };
  auto tp = [](int64_t stride, int64_t pad, int64_t out_pad, int64_t dilation, int64_t groups) {
    ConvTranspose2dParams p;
    p.stride_h = p.stride_w = stride;
    p.pad_h = p.pad_w = pad;
    p.output_pad_h = p.output_pad_w = out_pad;
    p.dilation_h = p.dilation_w = dilation;
    p.groups = groups;
    return p;
  };
  const std::vector<TCase> cases = {
      {"stride 1", {2, 3, 6, 7}, {3, 4, 3, 3}, tp(1, 0, 0, 1, 1)},
      {"stride 2 pad 1 output_pad 1", {2, 8, 9, 8}, {8, 6, 3, 3}, tp(2, 1, 1, 1, 1)},
      {"dilation 2, output_pad 1", {1, 4, 7, 7}, {4, 3, 3, 3}, tp(1, 2, 1, 2, 1)},
      {"groups 2", {2, 8, 5, 6}, {8, 3, 4, 4}, tp(2, 1, 0, 1, 2)},
      {"depthwise", {2, 6, 7, 7}, {6, 1, 3, 3}, tp(2, 1, 1, 1, 6)},
      {"large", {8, 64, 16, 16}, {64, 32, 4, 4}, tp(2, 1, 0, 1, 1)},
  };
  for (const auto& c : cases) {
    for (DType dt : {DType::f32, DType::f64}) {
      if (dt == DType::f64 && c.name == "large") continue;
      INFO(c.name << " " << dtype_name(dt));
      check_conv_parity(
          [&](const Tensor& x, const Tensor& w, const Tensor& b) { return conv_transpose2d(x, w, b, c.p); }, c.x, c.w,
          {c.w[1] * c.p.groups}, dt, 600);
    }
  }
}

TEST_CASE("cuda parity: conv2d refuses operands on different devices") {
  Tensor x = to(zeros({1, 2, 4, 4}), kCuda), w = zeros({3, 2, 3, 3});
  REQUIRE_THROWS_WITH(conv2d(x, w, Tensor(), {}), Catch::Contains("conv2d: tensors on different devices"));
  REQUIRE_THROWS_WITH(conv2d(x, to(w, kCuda), zeros({3}), {}),
                      Catch::Contains("conv2d: tensors on different devices"));
  REQUIRE_THROWS_WITH(conv_transpose2d(x, zeros({2, 3, 3, 3}), Tensor(), {}),
                      Catch::Contains("conv_transpose2d: tensors on different devices"));
}
