// One non-blocking stream per device, created lazily; every ocellus kernel runs on it.
#if OCELLUS_HAS_CUDA
#include "core/cuda_context.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <mutex>
#include <vector>

#include "core/device.h"

namespace oc {
namespace {
thread_local int t_device = 0;
std::mutex g_stream_mutex;
std::vector<cudaStream_t>& g_streams = *new std::vector<cudaStream_t>(16, nullptr);  // never destroyed: streams live as long as the process
}  // namespace

int current_device() { return t_device; }

const GridCaps& grid_caps() {
  static const GridCaps caps = [] {
    GridCaps c;
    if (const char* v = std::getenv("OCELLUS_GRID_CAP")) {
      char* end = nullptr;
      const long long n = std::strtoll(v, &end, 10);
      OC_CHECK(end != v && *end == 0 && n >= 1, "OCELLUS_GRID_CAP=\"", v, "\": expected a whole number >= 1");
      c.x = std::min<int64_t>(c.x, n), c.yz = std::min<int64_t>(c.yz, n);
    }
    return c;
  }();
  return caps;
}

void set_device(int index) {
  require_cuda("set_device");
  OC_CHECK(index >= 0 && index < cuda_device_count(), "set_device: no CUDA device ", index);
  CUDA_CHECK(cudaSetDevice(index));
  t_device = index;
}

CudaDeviceGuard::CudaDeviceGuard(Device device) {
  if (!device.is_cuda() || device.index == t_device) return;
  previous_ = t_device;
  set_device(device.index);
}

CudaDeviceGuard::~CudaDeviceGuard() {
  if (previous_ < 0) return;
  cudaSetDevice(previous_);  // cannot fail: previous_ was current a moment ago
  t_device = previous_;
}

cudaStream_t current_stream() {
  require_cuda("cuda stream");
  std::lock_guard<std::mutex> lk(g_stream_mutex);
  cudaStream_t& s = g_streams.at(t_device);
  if (!s) {
    CUDA_CHECK(cudaSetDevice(t_device));
    CUDA_CHECK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  }
  return s;
}

int multiprocessor_count() {
  // Atomic: two host threads may make their first launch on a device at once (ThreadSanitizer's note).
  static std::atomic<int> counts[16] = {};
  int n = counts[t_device].load(std::memory_order_relaxed);
  if (n == 0) {
    CUDA_CHECK(cudaDeviceGetAttribute(&n, cudaDevAttrMultiProcessorCount, t_device));
    counts[t_device].store(n, std::memory_order_relaxed);
  }
  return n;
}

void cuda_synchronize() { CUDA_CHECK(cudaStreamSynchronize(current_stream())); }

}  // namespace oc
#endif
