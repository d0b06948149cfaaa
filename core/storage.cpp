// Storage allocation: host memory through the CPU caching allocator, device memory through the CUDA one.
#include "core/storage.h"

#include <cstdlib>

#include "core/cpu_allocator.h"
#include "core/cuda_allocator.h"
#include "core/error.h"

namespace oc {

Storage::Storage(size_t nbytes, Device device) : nbytes_(nbytes), device_(device) {
  if (device.is_cpu()) {
    data_ = cpu_caching_alloc(nbytes);
  } else {
    data_ = cuda_caching_alloc(nbytes, device.index);
  }
}

Storage::~Storage() {
  if (!data_) return;
  if (device_.is_cpu()) {
    cpu_caching_free(data_, nbytes_);
  } else {
    cuda_caching_free(data_, device_.index);
  }
}

}  // namespace oc
