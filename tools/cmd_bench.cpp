// `ocellus bench gemm`: GFLOP/s of our GEMM on square and skinny shapes, median of repeated runs,
// with a spot check of each result against float64 dot products.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/thread_pool.h"
#include "core/timing.h"
#include "kernels/common/dispatch.h"
#include "kernels/gemm/gemm_cpu.h"
#include "kernels/gemm/gemm_kernels.h"
#include "kernels/ops.h"
#include "tools/commands.h"

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
  std::string out = p.get("--json", "");
  if (!out.empty()) {
    nlohmann::json j = {{"bench", "gemm"}, {"device", dev.str()}, {"dtype", "float32"},
                        {"kernel", dev.is_cpu() ? gemm_cpu_isa() : "cuda_tiled"}, {"threads", num_threads()},
                        {"results", results}};
    std::ofstream f(out);
    OC_CHECK(f.good(), "bench gemm: cannot write ", out);
    f << j.dump(2) << "\n";
    std::printf("wrote %s\n", out.c_str());
  }
  return 0;
}

}  // namespace

int cmd_bench(const Args& args) {
  ArgParser p(args, {"--device", "--json"}, {"--quick"});
  OC_CHECK(p.rest.size() == 1, "usage: ocellus bench gemm [--device cpu|cuda] [--json FILE] [--quick]");
  if (p.rest[0] == "gemm") return bench_gemm(p);
  OC_FAIL("unknown benchmark \"", p.rest[0], "\" (available: gemm)");
}

}  // namespace oc::cli
