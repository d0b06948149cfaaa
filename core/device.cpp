// Device parsing and CUDA presence checks; without CUDA the device functions report that clearly.
#include "core/device.h"

#include "core/cuda_allocator.h"
#include "core/error.h"

#if OCELLUS_HAS_CUDA
#include "core/cuda_api.h"
#endif

namespace oc {

Device Device::parse(const std::string& s) {
  if (s == "cpu") return cpu();
  if (s == "cuda") return cuda(0);
  if (s == "auto") return cuda_available() ? cuda(0) : cpu();
  if (s.rfind("cuda:", 0) == 0) {
    try {
      size_t used = 0;
      int idx = std::stoi(s.substr(5), &used);
      if (used == s.size() - 5 && idx >= 0) return cuda(idx);
    } catch (...) {
    }
  }
  OC_FAIL("unknown device \"", s, "\" (expected auto, cpu, cuda or cuda:N)");
}

int cuda_device_count() {
#if OCELLUS_HAS_CUDA
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky "no device" error
    return 0;
  }
  return n;
#else
  return 0;
#endif
}

bool cuda_available() {
  static const bool available = cuda_device_count() > 0;
  return available;
}

void require_cuda(const char* what) {
#if OCELLUS_HAS_CUDA
  OC_CHECK(cuda_available(), what, ": no CUDA device is present");
#else
  OC_FAIL(what, ": ocellus was built without CUDA (configure with -DOCELLUS_CUDA=ON)");
#endif
}

#if !OCELLUS_HAS_CUDA
CudaDeviceGuard::CudaDeviceGuard(Device) {}
CudaDeviceGuard::~CudaDeviceGuard() = default;
void* cuda_caching_alloc(size_t, int) { require_cuda("cuda allocation"); return nullptr; }
void cuda_caching_free(void*, int) {}
CudaMemoryStats cuda_memory_stats(int) { return {}; }
void cuda_reset_peak(int) {}
void cuda_empty_cache() {}
#endif

}  // namespace oc
