// Benchmark timing: CUDA events around the work on the device, steady_clock on the host.
#include "core/timing.h"

#include <algorithm>
#include <chrono>

#include "core/error.h"
#if OCELLUS_HAS_CUDA
#include "core/cuda_context.h"
#endif

namespace oc {

double time_once_ms(Device device, const std::function<void()>& fn) {
#if OCELLUS_HAS_CUDA
  if (device.is_cuda()) {
    cudaStream_t s = current_stream();
    cudaEvent_t start, stop;
    CUDA_CHECK(cudaEventCreate(&start));
    CUDA_CHECK(cudaEventCreate(&stop));
    CUDA_CHECK(cudaEventRecord(start, s));
    fn();
    CUDA_CHECK(cudaEventRecord(stop, s));
    CUDA_CHECK(cudaEventSynchronize(stop));
    float ms = 0;
    CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
    CUDA_CHECK(cudaEventDestroy(start));
    CUDA_CHECK(cudaEventDestroy(stop));
    return ms;
  }
#else
  OC_CHECK(device.is_cpu(), "timing: ocellus was built without CUDA");
#endif
  auto t0 = std::chrono::steady_clock::now();
  fn();
  auto t1 = std::chrono::steady_clock::now();
  return std::chrono::duration<double, std::milli>(t1 - t0).count();
}

std::vector<double> time_runs_ms(Device device, const std::function<void()>& fn, int warmup, int repeats) {
  for (int i = 0; i < warmup; ++i) time_once_ms(device, fn);
  std::vector<double> t;
  for (int i = 0; i < repeats; ++i) t.push_back(time_once_ms(device, fn));
  return t;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace oc
