// Storage allocation: host memory directly, device memory through the CUDA caching allocator.
#include "core/storage.h"

#include <cstdlib>

#include "core/cuda_allocator.h"
#include "core/error.h"

namespace oc {

void* cpu_alloc(size_t nbytes) {
  if (nbytes == 0) return nullptr;
  size_t rounded = (nbytes + 63) / 64 * 64;
  void* p = std::aligned_alloc(64, rounded);
  OC_CHECK(p != nullptr, "out of host memory allocating ", nbytes, " bytes");
  return p;
}

void cpu_free(void* p) { std::free(p); }

Storage::Storage(size_t nbytes, Device device) : nbytes_(nbytes), device_(device) {
  if (device.is_cpu()) {
    data_ = cpu_alloc(nbytes);
  } else {
    data_ = cuda_caching_alloc(nbytes, device.index);
  }
}

Storage::~Storage() {
  if (!data_) return;
  if (device_.is_cpu()) {
    cpu_free(data_);
  } else {
    cuda_caching_free(data_, device_.index);
  }
}

}  // namespace oc
