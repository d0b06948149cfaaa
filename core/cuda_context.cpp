// One non-blocking stream per device, created lazily; every ocellus kernel runs on it.
#if OCELLUS_HAS_CUDA
#include "core/cuda_context.h"

#include <mutex>
#include <vector>

#include "core/device.h"

namespace oc {
namespace {
thread_local int t_device = 0;
std::mutex g_stream_mutex;
std::vector<cudaStream_t> g_streams(16, nullptr);
}  // namespace

int current_device() { return t_device; }

void set_device(int index) {
  require_cuda("set_device");
  OC_CHECK(index >= 0 && index < cuda_device_count(), "set_device: no CUDA device ", index);
  CUDA_CHECK(cudaSetDevice(index));
  t_device = index;
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
  static int counts[16] = {};
  int& n = counts[t_device];
  if (n == 0) CUDA_CHECK(cudaDeviceGetAttribute(&n, cudaDevAttrMultiProcessorCount, t_device));
  return n;
}

void cuda_synchronize() { CUDA_CHECK(cudaStreamSynchronize(current_stream())); }

}  // namespace oc
#endif
