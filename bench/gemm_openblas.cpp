// Benchmark: oc::gemm_cpu (float32) against OpenBLAS cblas_sgemm on square and skinny shapes.
// Usage: gemm_bench [--json FILE] [--threads N] [--shape MxNxK]
//   --threads applies to both libraries; --shape runs one shape instead of the standard list.
//   Exits 1 when a result differs from OpenBLAS's by more than rounding.
#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/thread_pool.h"
#include "kernels/gemm/gemm_cpu.h"

namespace {

struct Shape {
  int64_t m, n, k;
};

struct Result {
  Shape s;
  double ours_s, blas_s;  // median seconds per call
  double rel_err;         // max |ours - OpenBLAS| / max |OpenBLAS|
  double gflops(double seconds) const { return 2.0 * s.m * s.n * s.k / seconds * 1e-9; }
};

// Results further apart than this are a bug, not rounding (K <= 2048, inputs in [-1,1]).
constexpr double kMaxRelErr = 1e-4;

// Uniform in [-1,1], never exactly zero, so a skipped or zeroed term always shows.
void fill_random(std::vector<float>& v, std::mt19937& rng) {
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (float& x : v) {
    do x = dist(rng);
    while (x == 0.0f);
  }
}

// Median seconds of one call: warm-up first, then at least 10 timed runs (more for small shapes,
// up to about 0.25 s in total).
double median_seconds(const std::function<void()>& fn) {
  using clock = std::chrono::steady_clock;
  for (int i = 0; i < 2; ++i) fn();
  const auto t0 = clock::now();
  fn();
  const double first = std::chrono::duration<double>(clock::now() - t0).count();
  const int runs = std::clamp(static_cast<int>(0.25 / std::max(first, 1e-9)), 10, 200);
  std::vector<double> times(runs);
  for (int r = 0; r < runs; ++r) {
    const auto a = clock::now();
    fn();
    times[r] = std::chrono::duration<double>(clock::now() - a).count();
  }
  std::nth_element(times.begin(), times.begin() + runs / 2, times.end());
  return times[runs / 2];
}

Result run_shape(const Shape& s, std::mt19937& rng) {
  std::vector<float> A(s.m * s.k), B(s.k * s.n), C_ours(s.m * s.n), C_blas(s.m * s.n);
  fill_random(A, rng);
  fill_random(B, rng);

  auto ours = [&] {
    oc::gemm_cpu(false, false, s.m, s.n, s.k, 1.0f, A.data(), s.k, B.data(), s.n, 0.0f,
                 C_ours.data(), s.n);
  };
  auto blas = [&] {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s.m, s.n, s.k, 1.0f, A.data(), s.k,
                B.data(), s.n, 0.0f, C_blas.data(), s.n);
  };

  // Relative error: largest difference over the largest reference magnitude.
  ours();
  blas();
  double max_diff = 0.0, max_ref = 0.0;
  for (size_t i = 0; i < C_ours.size(); ++i) {
    max_diff = std::max(max_diff, std::fabs(double(C_ours[i]) - double(C_blas[i])));
    max_ref = std::max(max_ref, std::fabs(double(C_blas[i])));
  }

  // Three rounds, keeping each library's best median: the machine is shared, and a burst of
  // someone else's work should not decide the ratio. Ours runs first in a round because OpenBLAS
  // workers keep spinning for a while after a call; the pause lets them go to sleep.
  double t_ours = 1e30, t_blas = 1e30;
  for (int round = 0; round < 3; ++round) {
    t_ours = std::min(t_ours, median_seconds(ours));
    t_blas = std::min(t_blas, median_seconds(blas));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return {s, t_ours, t_blas, max_diff / std::max(max_ref, 1e-30)};
}

void write_json(const char* path, const std::vector<Result>& results, int threads) {
  FILE* f = std::fopen(path, "w");
  if (!f) {
    std::fprintf(stderr, "gemm_bench: cannot write %s\n", path);
    std::exit(1);
  }
  std::fprintf(f, "{\n  \"isa\": \"%s\",\n  \"threads\": %d,\n  \"openblas_core\": \"%s\",\n",
               oc::gemm_cpu_isa(), threads, openblas_get_corename());
  std::fprintf(f, "  \"results\": [\n");
  for (size_t i = 0; i < results.size(); ++i) {
    const Result& r = results[i];
    std::fprintf(f,
                 "    {\"m\": %lld, \"n\": %lld, \"k\": %lld, \"ours_ms\": %.4f, "
                 "\"openblas_ms\": %.4f, \"ours_gflops\": %.3f, \"openblas_gflops\": %.3f, "
                 "\"ratio\": %.4f, \"rel_err\": %.3e}%s\n",
                 (long long)r.s.m, (long long)r.s.n, (long long)r.s.k, r.ours_s * 1e3,
                 r.blas_s * 1e3, r.gflops(r.ours_s), r.gflops(r.blas_s), r.blas_s / r.ours_s,
                 r.rel_err, i + 1 < results.size() ? "," : "");
  }
  std::fprintf(f, "  ]\n}\n");
  std::fclose(f);
}

}  // namespace

int main(int argc, char** argv) {
  const char* json_path = nullptr;
  int threads = 0;
  long long only_m = 0, only_n = 0, only_k = 0;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--json") && i + 1 < argc) {
      json_path = argv[++i];
    } else if (!std::strcmp(argv[i], "--threads") && i + 1 < argc) {
      threads = std::atoi(argv[++i]);
    } else if (!std::strcmp(argv[i], "--shape") && i + 1 < argc &&
               std::sscanf(argv[i + 1], "%lldx%lldx%lld", &only_m, &only_n, &only_k) == 3 &&
               only_m > 0 && only_n > 0 && only_k > 0) {
      ++i;
    } else {
      std::fprintf(stderr, "usage: %s [--json FILE] [--threads N] [--shape MxNxK]\n", argv[0]);
      return 2;
    }
  }
  // Both libraries get the same number of threads: ours from --threads, else
  // OCELLUS_NUM_THREADS, else one per hardware thread.
  if (threads > 0) oc::set_num_threads(threads);
  threads = oc::num_threads();
  openblas_set_num_threads(threads);

  std::vector<Shape> shapes = {
      {128, 128, 128},  {256, 256, 256},  {512, 512, 512}, {1024, 1024, 1024},
      {2048, 2048, 2048}, {4096, 64, 1024}, {64, 4096, 1024}, {1024, 1024, 64},
      {8192, 128, 128},
  };
  if (only_m > 0) shapes = {{only_m, only_n, only_k}};

  std::printf("gemm_cpu float32 vs OpenBLAS sgemm: isa=%s threads=%d openblas=%s\n",
              oc::gemm_cpu_isa(), threads, openblas_get_corename());
  std::printf("%-16s %9s %9s %10s %10s %7s %9s\n", "M x N x K", "ours ms", "BLAS ms",
              "ours GF/s", "BLAS GF/s", "ratio", "rel_err");
  std::mt19937 rng(1234);
  std::vector<Result> results;
  bool mismatch = false;
  for (const Shape& s : shapes) {
    const Result r = run_shape(s, rng);
    results.push_back(r);
    char name[64];
    std::snprintf(name, sizeof name, "%lldx%lldx%lld", (long long)s.m, (long long)s.n,
                  (long long)s.k);
    const bool bad = !(r.rel_err <= kMaxRelErr);
    mismatch |= bad;
    std::printf("%-16s %9.3f %9.3f %10.1f %10.1f %7.2f %9.1e%s\n", name, r.ours_s * 1e3,
                r.blas_s * 1e3, r.gflops(r.ours_s), r.gflops(r.blas_s), r.blas_s / r.ours_s,
                r.rel_err, bad ? "  MISMATCH" : "");
    std::fflush(stdout);
  }
  std::printf("ratio = OpenBLAS time / ours (ours GF/s over OpenBLAS GF/s; > 1 means faster)\n");
  if (json_path) write_json(json_path, results, threads);
  return mismatch ? 1 : 0;
}
