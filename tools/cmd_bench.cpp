// `ocellus bench gemm`: GFLOP/s of our GEMM on square and skinny shapes, median of repeated runs,
// with a spot check of each result against float64 dot products.
// `ocellus bench conv2d`: the same for the convolution's forward, input-gradient and weight-gradient
// kernels on three CNN layer shapes (bench/torch_conv.py times PyTorch on the same ones).
#include <cmath>
#include <cstdio>
#include <functional>
#include <nlohmann/json.hpp>

#include "core/thread_pool.h"
#include "core/timing.h"
#include "kernels/common/dispatch.h"
#include "kernels/conv/conv_kernels.h"
#include "kernels/conv/conv_math.h"
#include "kernels/gemm/gemm_cpu.h"
#include "kernels/gemm/gemm_kernels.h"
#include "kernels/ops.h"
#include "tools/bench_boxes.h"
#include "tools/bench_common.h"
#include "tools/bench_grid_sample.h"
#include "tools/bench_roi_align.h"
#include "tools/bench_soft_argmax.h"
#include "tools/bench_train.h"

namespace oc::cli {
namespace {

struct GemmShape {
  int64_t M, N, K;
};

// Largest relative error of 64 sampled entries of c = a x b against float64 dot products.
double spot_check(const Tensor& a, const Tensor& b, const Tensor& c) {
  std::vector<float> av = to_vector<float>(a), bv = to_vector<float>(b), cv = to_vector<float>(c);
  const int64_t M = a.size(0), K = a.size(1), N = b.size(1);
  Generator g(99);
  std::vector<double> pick = to_vector<double>(uniform({128}, 0, 1, &g, DType::f64));
  double worst = 0;
  for (int s = 0; s < 64; ++s) {
    int64_t i = static_cast<int64_t>(pick[2 * s] * M), j = static_cast<int64_t>(pick[2 * s + 1] * N);
    double ref = 0, mag = 0;
    for (int64_t k = 0; k < K; ++k) {
      ref += static_cast<double>(av[i * K + k]) * bv[k * N + j];
      mag += std::fabs(static_cast<double>(av[i * K + k]) * bv[k * N + j]);
    }
    worst = std::max(worst, std::fabs(cv[i * N + j] - ref) / std::max(mag, 1e-30));
  }
  return worst;
}

int bench_gemm(const ArgParser& p) {
  Device dev = Device::parse(p.get("--device", "cpu"));
  if (dev.is_cuda()) require_cuda("bench gemm");
  const bool quick = p.has("--quick");
  std::vector<GemmShape> shapes = {{128, 128, 128},   {256, 256, 256},   {512, 512, 512}, {1024, 1024, 1024},
                                   {2048, 2048, 2048}, {4096, 64, 1024}, {64, 4096, 1024}, {1024, 1024, 64},
                                   {8192, 128, 128}};
  if (dev.is_cuda()) shapes.push_back({4096, 4096, 4096});
  if (quick) shapes = {{256, 256, 256}, {1024, 1024, 1024}, {4096, 64, 1024}};
  std::printf("gemm on %s (%s, %d threads), float32, C = A x B, median of runs\n", dev.str().c_str(),
              dev.is_cpu() ? gemm_cpu_isa() : "tiled CUDA", num_threads());
  std::printf("%6s %6s %6s %10s %10s %10s\n", "M", "N", "K", "ms", "GFLOP/s", "rel.err");
  nlohmann::json results = nlohmann::json::array();
  for (const auto& s : shapes) {
    // Several input sets, used in turn, so that repeated runs do not all hit a warm cache.
    const int sets = 3;
    std::vector<Tensor> as, bs, cs;
    for (int i = 0; i < sets; ++i) {
      Generator g(1000 + i);
      as.push_back(uniform({1, s.M, s.K}, -1, 1, &g, DType::f32, dev));
      bs.push_back(uniform({1, s.K, s.N}, -1, 1, &g, DType::f32, dev));
      cs.push_back(Tensor::empty({1, s.M, s.N}, DType::f32, dev));
    }
    const double flop = 2.0 * s.M * s.N * s.K;
    const int repeats = std::max(5, std::min(50, static_cast<int>(2e10 / flop)));
    int turn = 0;
    auto times = time_runs_ms(dev, [&] {
      int i = turn++ % sets;
      OC_ON_DEVICE(dev, gemm_batched, as[i], bs[i], cs[i]);
    }, 2, repeats);
    double ms = median(times), gflops = flop / (ms * 1e6);
    double err = spot_check(reshape(as[0], {s.M, s.K}), reshape(bs[0], {s.K, s.N}), reshape(cs[0], {s.M, s.N}));
    std::printf("%6ld %6ld %6ld %10.3f %10.1f %10.1e\n", static_cast<long>(s.M), static_cast<long>(s.N),
                static_cast<long>(s.K), ms, gflops, err);
    OC_CHECK(err < 1e-4, "bench gemm: result of ", s.M, "x", s.N, "x", s.K, " is wrong (relative error ", err, ")");
    results.push_back({{"M", s.M}, {"N", s.N}, {"K", s.K}, {"ms", ms}, {"gflops", gflops}, {"runs", repeats},
                       {"rel_err", err}});
  }
  write_bench_json(p.get("--json", ""),
                   {{"bench", "gemm"}, {"device", dev.str()}, {"dtype", "float32"},
                    {"kernel", dev.is_cpu() ? gemm_cpu_isa() : "cuda_tiled"}, {"threads", num_threads()},
                    {"results", results}},
                   "gemm");
  return 0;
}


// --- conv2d -------------------------------------------------------------------------------------

struct ConvBenchShape {
  int64_t N, C, H, W, K, R, stride, pad;
};

ConvGeom conv_bench_geom(const ConvBenchShape& s) {
  ConvGeom g;
  g.N = s.N, g.C = s.C, g.H = s.H, g.W = s.W, g.K = s.K, g.R = s.R, g.S = s.R;
  g.sh = g.sw = s.stride, g.ph = g.pw = s.pad;
  g.Ho = (s.H + 2 * s.pad - s.R) / s.stride + 1;
  g.Wo = (s.W + 2 * s.pad - s.R) / s.stride + 1;
  return g;
}

// Largest relative error (|got - ref| / sum of |terms|) of 32 sampled values of each pass against
// float64 sums over the definition (groups 1): forward y, input gradient gx, weight gradient gw.
struct ConvSpotErrors {
  double fwd = 0, dgrad = 0, wgrad = 0;
};

ConvSpotErrors conv_spot_check(const ConvGeom& g, const Tensor& x, const Tensor& w, const Tensor& gy, const Tensor& y,
                               const Tensor& gx, const Tensor& gw) {
  std::vector<float> xv = to_vector<float>(x), wv = to_vector<float>(w), gyv = to_vector<float>(gy);
  std::vector<float> yv = to_vector<float>(y), gxv = to_vector<float>(gx), gwv = to_vector<float>(gw);
  auto X = [&](int64_t n, int64_t c, int64_t h, int64_t ww) { return double(xv[((n * g.C + c) * g.H + h) * g.W + ww]); };
  auto Wt = [&](int64_t k, int64_t c, int64_t r, int64_t s) { return double(wv[((k * g.C + c) * g.R + r) * g.S + s]); };
  auto GY = [&](int64_t n, int64_t k, int64_t ho, int64_t wo) { return double(gyv[((n * g.K + k) * g.Ho + ho) * g.Wo + wo]); };
  // Calls f(n, k, ho, wo, c, r, s, h, w) for the taps of one output value, or of all of them.
  auto taps = [&](int64_t n, int64_t k, int64_t ho, int64_t wo, auto&& f) {
    for (int64_t c = 0; c < g.C; ++c)
      for (int64_t r = 0; r < g.R; ++r)
        for (int64_t s = 0; s < g.S; ++s) {
          const int64_t h = conv_in_coord(ho, g.sh, g.ph, r, g.dh), ww = conv_in_coord(wo, g.sw, g.pw, s, g.dw);
          if (h >= 0 && h < g.H && ww >= 0 && ww < g.W) f(c, r, s, h, ww);
        }
  };
  Generator gen(77);
  std::vector<double> pick = to_vector<double>(uniform({4 * 32}, 0, 1, &gen, DType::f64));
  auto at = [&](int i, int64_t size) { return std::min(size - 1, static_cast<int64_t>(pick[i] * size)); };
  auto rel = [](double got, double ref, double mag) { return std::fabs(got - ref) / std::max(mag, 1e-30); };
  ConvSpotErrors e;
  for (int t = 0; t < 32; ++t) {
    const int64_t n = at(4 * t, g.N), k = at(4 * t + 1, g.K), ho = at(4 * t + 2, g.Ho), wo = at(4 * t + 3, g.Wo);
    double ref = 0, mag = 0;
    taps(n, k, ho, wo, [&](int64_t c, int64_t r, int64_t s, int64_t h, int64_t ww) {
      ref += Wt(k, c, r, s) * X(n, c, h, ww);
      mag += std::fabs(Wt(k, c, r, s) * X(n, c, h, ww));
    });
    e.fwd = std::max(e.fwd, rel(yv[((n * g.K + k) * g.Ho + ho) * g.Wo + wo], ref, mag));
    // gx at an input pixel: every (k, r, s) whose output position reads it.
    const int64_t c = at(4 * t + 1, g.C), h = at(4 * t + 2, g.H), ww = at(4 * t + 3, g.W);
    ref = mag = 0;
    for (int64_t kk = 0; kk < g.K; ++kk)
      for (int64_t r = 0; r < g.R; ++r)
        for (int64_t s = 0; s < g.S; ++s) {
          const int oh = conv_out_coord(int(h), int(g.sh), int(g.ph), int(r), int(g.dh), int(g.Ho));
          const int ow = conv_out_coord(int(ww), int(g.sw), int(g.pw), int(s), int(g.dw), int(g.Wo));
          if (oh < 0 || ow < 0) continue;
          ref += Wt(kk, c, r, s) * GY(n, kk, oh, ow);
          mag += std::fabs(Wt(kk, c, r, s) * GY(n, kk, oh, ow));
        }
    e.dgrad = std::max(e.dgrad, rel(gxv[((n * g.C + c) * g.H + h) * g.W + ww], ref, mag));
    // gw at one tap: a sum over the whole batch and every output pixel.
    const int64_t r = at(4 * t + 2, g.R), s = at(4 * t + 3, g.S);
    ref = mag = 0;
    for (int64_t nn = 0; nn < g.N; ++nn)
      for (int64_t oh = 0; oh < g.Ho; ++oh)
        for (int64_t ow = 0; ow < g.Wo; ++ow) {
          const int64_t ih = conv_in_coord(oh, g.sh, g.ph, r, g.dh), iw = conv_in_coord(ow, g.sw, g.pw, s, g.dw);
          if (ih < 0 || ih >= g.H || iw < 0 || iw >= g.W) continue;
          ref += GY(nn, k, oh, ow) * X(nn, c, ih, iw);
          mag += std::fabs(GY(nn, k, oh, ow) * X(nn, c, ih, iw));
        }
    e.wgrad = std::max(e.wgrad, rel(gwv[((k * g.C + c) * g.R + r) * g.S + s], ref, mag));
  }
  return e;
}

int bench_conv2d(const ArgParser& p) {
  Device dev = Device::parse(p.get("--device", "cpu"));
  if (dev.is_cuda()) require_cuda("bench conv2d");
  const bool quick = p.has("--quick");
  // The conv case table's bench rows (tests/kernels/conv/conv_cases.cpp): groups 1, dilation 1,
  // square kernels, strides and padding, as the spot check and bench/torch_conv.py assume.
  std::vector<ConvBenchShape> shapes;
  for (const test::OpCase& c : bench_cases("conv2d")) {
    const Shape &x = c.shapes[0], &w = c.shapes[1];
    const auto& j = c.params;
    const bool square = j["groups"] == 1 && j["dilation"][0] == 1 && j["dilation"][1] == 1 && w[2] == w[3] &&
                        j["stride"][0] == j["stride"][1] && j["pad"][0] == j["pad"][1];
    OC_CHECK(square, "bench conv2d: the case \"", c.name(), "\" is no square groups-1 convolution");
    shapes.push_back({x[0], x[1], x[2], x[3], w[0], w[2], j["stride"][0], j["pad"][0]});
  }
  std::printf("conv2d on %s (%s, %d threads), float32, NCHW, median of runs\n", dev.str().c_str(),
              dev.is_cpu() ? (std::string("im2col + ") + gemm_cpu_isa() + " GEMM").c_str() : "implicit GEMM",
              num_threads());
  std::printf("%4s %4s %4s %4s %4s %2s %2s %2s %12s %9s %9s %9s\n", "N", "C", "H", "W", "K", "R", "s", "p", "pass",
              "ms", "GFLOP/s", "rel.err");
  nlohmann::json results = nlohmann::json::array();
  for (const auto& s : shapes) {
    const ConvGeom g = conv_bench_geom(s);
    Generator gen(2024);
    Tensor x = uniform({g.N, g.C, g.H, g.W}, -1, 1, &gen, DType::f32, dev);
    Tensor w = uniform({g.K, g.C, g.R, g.S}, -1, 1, &gen, DType::f32, dev);
    Tensor gy = uniform({g.N, g.K, g.Ho, g.Wo}, -1, 1, &gen, DType::f32, dev);
    Tensor y = Tensor::empty(gy.shape(), DType::f32, dev), gx = Tensor::empty(x.shape(), DType::f32, dev);
    Tensor gw = Tensor::empty(w.shape(), DType::f32, dev);
    const double flop = 2.0 * g.N * g.K * g.P() * g.CRS();  // the same for all three passes
    const int repeats = quick ? 3 : std::max(5, std::min(30, static_cast<int>(4e10 / flop)));
    struct Pass {
      const char* name;
      std::function<void()> run;
    };
    const std::vector<Pass> passes = {
        {"forward", [&] { OC_ON_DEVICE(dev, conv2d_forward, g, x, w, Tensor(), y); }},
        {"input_grad", [&] { OC_ON_DEVICE(dev, conv2d_input_grad, g, gy, w, Tensor(), gx); }},
        {"weight_grad", [&] { OC_ON_DEVICE(dev, conv2d_weight_grad, g, x, gy, gw); }},
    };
    nlohmann::json row = {{"N", s.N}, {"C", s.C}, {"H", s.H}, {"W", s.W}, {"K", s.K}, {"R", s.R},
                          {"stride", s.stride}, {"pad", s.pad}};
    std::vector<double> ms_of;
    for (const auto& pass : passes) ms_of.push_back(median(time_runs_ms(dev, pass.run, 1, repeats)));
    const ConvSpotErrors err = conv_spot_check(g, x, w, gy, y, gx, gw);
    const double errs[3] = {err.fwd, err.dgrad, err.wgrad};
    for (size_t i = 0; i < passes.size(); ++i) {
      const double gflops = flop / (ms_of[i] * 1e6);
      std::printf("%4ld %4ld %4ld %4ld %4ld %2ld %2ld %2ld %12s %9.2f %9.1f %9.1e\n", long(s.N), long(s.C), long(s.H),
                  long(s.W), long(s.K), long(s.R), long(s.stride), long(s.pad), passes[i].name, ms_of[i], gflops,
                  errs[i]);
      row[passes[i].name] = {{"ms", ms_of[i]}, {"gflops", gflops}, {"runs", repeats}, {"rel_err", errs[i]}};
      OC_CHECK(errs[i] < 1e-4, "bench conv2d: ", passes[i].name, " of shape N=", s.N, " C=", s.C, " H=", s.H,
               " K=", s.K, " R=", s.R, " is wrong (relative error ", errs[i], ")");
    }
    const double total = ms_of[0] + ms_of[1] + ms_of[2];
    std::printf("%47s %9.2f\n", "fwd+bwd", total);
    row["total_ms"] = total;
    results.push_back(row);
  }
  write_bench_json(p.get("--json", ""),
                   {{"bench", "conv2d"}, {"device", dev.str()}, {"dtype", "float32"},
                    {"kernel", dev.is_cpu() ? std::string("im2col+gemm_") + gemm_cpu_isa() : "cuda_implicit_gemm"},
                    {"threads", num_threads()}, {"results", results}},
                   "conv2d");
  return 0;
}

}  // namespace

int cmd_bench(const Args& args) {
  if (!args.empty() && args[0] == "train") return bench_train(Args(args.begin() + 1, args.end()));
  ArgParser p(args, {"--device", "--json", "--inputs"}, {"--quick", "--cases"});
  OC_CHECK(!p.rest.empty(),
           "usage: ocellus bench train CONFIG ... | gemm|conv2d|affine_grid|grid_sample|soft_argmax|box_iou|nms|roi_align|roi_pool ... "
           "[--device cpu|cuda] [--json FILE] [--quick] [--cases] [--inputs DIR (box_iou, nms)]");
  if (p.has("--cases")) {  // the shapes, as rows of the op case tables
    print_bench_cases(p.rest);
    return 0;
  }
  if (p.rest.size() == 1 && p.rest[0] == "gemm") return bench_gemm(p);
  if (p.rest.size() == 1 && p.rest[0] == "conv2d") return bench_conv2d(p);
  if (p.rest.size() == 1 && p.rest[0] == "soft_argmax") return bench_soft_argmax(p);
  if (p.rest.size() == 1 && (p.rest[0] == "roi_align" || p.rest[0] == "roi_pool")) return bench_roi(p.rest[0], p);
  if (p.rest.size() == 1 && (p.rest[0] == "box_iou" || p.rest[0] == "nms")) return bench_boxes(p.rest[0], p);
  // The spatial transformer benchmarks may be named together; --json gets one object per name.
  nlohmann::json all = nlohmann::json::object();
  for (const std::string& name : p.rest) {
    OC_CHECK(name == "affine_grid" || name == "grid_sample", "unknown benchmark \"", name,
             "\" (available: train, gemm, conv2d, affine_grid, grid_sample, soft_argmax, box_iou, nms, roi_align, roi_pool; "
             "only affine_grid and grid_sample "
             "may be combined)");
    all[name] = bench_spatial(name, p);
  }
  write_bench_json(p.get("--json", ""), all, "affine_grid/grid_sample");
  return 0;
}

}  // namespace oc::cli
