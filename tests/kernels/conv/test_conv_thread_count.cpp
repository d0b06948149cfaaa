// The CPU convolution gives bit-identical results on any number of threads: the weight gradient's
// sums over the batch come in fixed parts (kernels/conv/conv_parts_cpu.h), and the other passes
// split only their outputs. Batches below, at and above the part count; the direct (AVX-512) and
// the im2col + GEMM paths; groups, 1x1 and stride 2.
#include <catch2/catch.hpp>

#include "core/thread_pool.h"
#include "kernels/conv/conv_direct_cpu.h"
#include "kernels/conv/conv_kernels.h"
#include "kernels/conv/conv_parts_cpu.h"
#include "tests/helpers.h"

using namespace oc;

namespace {

ConvGeom geometry(int64_t N, int64_t C, int64_t HW, int64_t K, int64_t RS, int64_t stride, int64_t G) {
  ConvGeom g;
  g.N = N, g.C = C, g.H = g.W = HW, g.K = K, g.R = g.S = RS, g.G = G;
  g.sh = g.sw = stride, g.ph = g.pw = RS / 2;
  g.Ho = g.Wo = (HW + 2 * (RS / 2) - RS) / stride + 1;
  return g;
}

struct Outputs {
  std::vector<float> y, gx, gw;
};

Outputs run_passes(const ConvGeom& g, int threads, uint64_t seed) {
  set_num_threads(threads);
  Tensor x = test::rand({g.N, g.C, g.H, g.W}, seed);
  Tensor w = test::rand({g.K, g.Cg(), g.R, g.S}, seed + 1);
  Tensor gy = test::rand({g.N, g.K, g.Ho, g.Wo}, seed + 2);
  Tensor y = Tensor::empty({g.N, g.K, g.Ho, g.Wo}), gx = Tensor::empty({g.N, g.C, g.H, g.W}),
         gw = Tensor::empty({g.K, g.Cg(), g.R, g.S});
  conv2d_forward_cpu(g, x, w, Tensor(), y);
  conv2d_input_grad_cpu(g, gy, w, Tensor(), gx);
  conv2d_weight_grad_cpu(g, x, gy, gw);
  return {to_vector<float>(y), to_vector<float>(gx), to_vector<float>(gw)};
}

struct ThreadsRestored {
  ~ThreadsRestored() { set_num_threads(0); }
};

}  // namespace

TEST_CASE("conv2d cpu: every pass is bit-identical on 1, 2, 3, 5 and 16 threads", "[conv]") {
  ThreadsRestored restore;
  const ConvGeom cases[] = {
      geometry(1, 9, 12, 13, 3, 1, 1),                     // one image: fewer parts than threads
      geometry(3, 16, 10, 24, 3, 1, 1),                    // the direct kernels' shape
      geometry(kWeightGradParts, 8, 9, 16, 3, 2, 1),       // as many images as parts; stride 2
      geometry(2 * kWeightGradParts + 3, 4, 8, 12, 3, 1, 1),  // uneven parts
      geometry(6, 8, 8, 8, 3, 1, 2),                       // groups: im2col + GEMM only
      geometry(11, 32, 6, 40, 1, 1, 1),                    // 1x1: the input is the GEMM operand
      geometry(20, 1024, 2, 2048, 1, 1, 1),                // 8 MiB of weights: the memory cap's 8 parts
  };
  REQUIRE(weight_grad_parts(20, 2048 * 1024, 4) == 8);
  REQUIRE(weight_grad_parts(20, 100, 4) == kWeightGradParts);
  REQUIRE(weight_grad_parts(3, 100, 4) == 3);
  REQUIRE(weight_grad_parts(3, int64_t{1} << 40, 4) == 1);
  for (bool direct : {true, false}) {
    conv_direct_enable(direct);
    for (const ConvGeom& g : cases) {
      INFO("N " << g.N << " C " << g.C << " K " << g.K << " R " << g.R << " stride " << g.sh << " G " << g.G
                << (direct ? " (direct kernels allowed)" : " (im2col + GEMM)"));
      const Outputs one = run_passes(g, 1, 40 + static_cast<uint64_t>(g.N));
      for (int threads : {2, 3, 5, 16}) {
        INFO(threads << " threads");
        const Outputs many = run_passes(g, threads, 40 + static_cast<uint64_t>(g.N));
        CHECK(many.y == one.y);
        CHECK(many.gx == one.gx);
        CHECK(many.gw == one.gw);
      }
    }
  }
  conv_direct_enable(true);
}

TEST_CASE("conv2d cpu: add_parts_in_order adds each element's parts first to last", "[conv]") {
  ThreadsRestored restore;
  set_num_threads(3);
  // Terms whose float sum depends on the order: 1 + 1e8 - 1e8 = 0 left to right, 1 otherwise.
  const int64_t n = 10000;
  std::vector<float> dst(n, 1.0f), src(3 * n);
  for (int64_t i = 0; i < n; ++i) src[i] = 1e8f, src[n + i] = -1e8f, src[2 * n + i] = static_cast<float>(i % 7);
  add_parts_in_order(dst.data(), src.data(), 3, n, n);
  for (int64_t i = 0; i < n; ++i) REQUIRE(dst[i] == static_cast<float>(i % 7));
}
