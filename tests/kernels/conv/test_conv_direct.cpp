// The direct CPU convolution (kernels/conv/conv_direct_cpu.h) on geometries chosen to hit its edges:
// output rows that are not whole 16-pixel runs, an odd number of runs, channel counts that are not
// whole 12-row or 32-column tiles, strides 1-3, dilation, uneven padding, a batch smaller than the
// thread pool, and conv_transpose2d's larger output. Each pass against the loops of the definition
// (conv_reference.h) and against the im2col + GEMM path. Skipped on CPUs without AVX-512.
#include <catch2/catch.hpp>

#include <cstring>

#include "kernels/conv/conv_direct_cpu.h"
#include "kernels/gemm/gemm_cpu.h"
#include "tests/helpers.h"
#include "tests/kernels/conv/conv_reference.h"

using namespace oc;

namespace {

struct DirectCase {
  int64_t N, C, H, W, K, R, S, stride, ph, pw, dil;
  bool direct_input_grad;  // stride 1 and enough input channels for a tile (conv_direct_applies)
};

const DirectCase kCases[] = {
    {3, 9, 11, 37, 13, 3, 3, 1, 1, 1, 1, true},   // Wo 37: runs 16, 16, 5 (odd count); K 13 = 12 + 1
    {2, 3, 20, 19, 25, 5, 5, 2, 2, 2, 1, false},  // stride 2: two column phases
    {1, 10, 9, 18, 40, 3, 3, 1, 2, 2, 2, true},   // dilation 2, one image (blocks split over threads)
    {2, 4, 15, 16, 9, 7, 7, 3, 3, 3, 1, false},   // stride 3
    {4, 16, 8, 8, 33, 3, 1, 1, 1, 0, 1, true},    // R != S, K 33: one 48-channel weight-gradient tile
    {2, 4, 10, 12, 8, 3, 5, 1, 0, 2, 1, false},   // padding only along W; 4 input channels
    {1, 12, 5, 5, 8, 2, 2, 1, 0, 0, 1, true},     // taps 48 = four 12-tap tiles; 2x2 output
    {2, 8, 70, 40, 70, 3, 3, 1, 1, 1, 1, true},   // several bands of runs and of pixels; K 70: 3 x 32 columns
};

ConvGeom geom_of(const DirectCase& c) {
  ConvGeom g;
  g.N = c.N, g.C = c.C, g.H = c.H, g.W = c.W, g.K = c.K, g.R = c.R, g.S = c.S;
  g.sh = g.sw = c.stride, g.ph = c.ph, g.pw = c.pw, g.dh = g.dw = c.dil;
  g.Ho = (c.H + 2 * c.ph - c.dil * (c.R - 1) - 1) / c.stride + 1;
  g.Wo = (c.W + 2 * c.pw - c.dil * (c.S - 1) - 1) / c.stride + 1;
  return g;
}

struct Passes {
  Tensor y, gx, gw, gb;
};

Passes run_conv(const Tensor& x, const Tensor& w, const Tensor& b, const Tensor& gy, const Conv2dParams& p) {
  Tensor xr = x.detach(), wr = w.detach(), br = b.detach();
  for (Tensor* t : {&xr, &wr, &br}) t->set_requires_grad();
  Tensor y = conv2d(xr, wr, br, p);
  sum(mul(y, gy)).backward();
  return {y.detach(), xr.grad(), wr.grad(), br.grad()};
}

struct DirectOff {
  DirectOff() { conv_direct_enable(false); }
  ~DirectOff() { conv_direct_enable(true); }
};

}  // namespace

TEST_CASE("conv direct: forward and gradients match the definition and the GEMM path", "[may_skip]") {
  if (std::strcmp(gemm_cpu_isa(), "avx512") != 0) test::skip_test("the direct convolution needs AVX-512");
  uint64_t seed = 40;
  for (const DirectCase& c : kCases) {
    const ConvGeom g = geom_of(c);
    INFO("N " << c.N << " C " << c.C << " H " << c.H << " W " << c.W << " K " << c.K << " R " << c.R << " S " << c.S
              << " stride " << c.stride << " pad " << c.ph << "," << c.pw << " dilation " << c.dil);
    REQUIRE(conv_direct_applies(g, ConvPass::forward));
    REQUIRE(conv_direct_applies(g, ConvPass::weight_grad));
    REQUIRE(conv_direct_applies(g, ConvPass::input_grad) == c.direct_input_grad);
    const Conv2dParams p = test::conv_params(c.stride, c.stride, c.ph, c.pw, c.dil, c.dil, 1);
    const Tensor x = test::rand({c.N, c.C, c.H, c.W}, seed++), w = test::rand({c.K, c.C, c.R, c.S}, seed++);
    const Tensor b = test::rand({c.K}, seed++), gy = test::rand({c.N, c.K, g.Ho, g.Wo}, seed++);
    const Passes direct = run_conv(x, w, b, gy, p);
    REQUIRE_CLOSE(direct.y, test::ref_conv2d(x, w, b, p), 1e-5, 1e-5);
    REQUIRE_CLOSE(direct.gx, test::ref_conv2d_input_grad(x, w, gy, p), 1e-5, 1e-5);
    REQUIRE_CLOSE(direct.gw, test::ref_conv2d_weight_grad(x, w, gy, p), 1e-4, 1e-5);
    Passes gemm;
    {
      DirectOff off;
      REQUIRE_FALSE(conv_direct_applies(g, ConvPass::forward));
      gemm = run_conv(x, w, b, gy, p);
    }
    // Both paths lie within the bounds above of the definition, so within twice them of each other.
    REQUIRE_CLOSE(direct.y, gemm.y, 2e-5, 2e-5);
    REQUIRE_CLOSE(direct.gx, gemm.gx, 2e-5, 2e-5);
    REQUIRE_CLOSE(direct.gw, gemm.gw, 2e-4, 2e-5);
  }
}

TEST_CASE("conv direct: conv_transpose2d (the input gradient with output padding) matches its definition",
          "[may_skip]") {
  if (std::strcmp(gemm_cpu_isa(), "avx512") != 0) test::skip_test("the direct convolution needs AVX-512");
  // Stride 1, dilation 2, output padding 1: the last row and column of the output are reached by
  // no input (bias only), so the input gradient's geometry is larger than conv2d's formula gives.
  const ConvTranspose2dParams p = test::tconv_params(1, 1, 1, 2);
  const Tensor x = test::rand({2, 9, 7, 21}, 70), w = test::rand({9, 14, 3, 3}, 71), b = test::rand({14}, 72);
  REQUIRE_CLOSE(conv_transpose2d(x, w, b, p), test::ref_conv_transpose2d(x, w, b, p), 1e-5, 1e-5);
}
