// A reference-counted block of memory on one device; tensors are views into it.
#pragma once
#include <cstddef>
#include <memory>

#include "core/device.h"

namespace oc {

class Storage {
 public:
  // Uninitialized memory from the device's caching allocator (core/cpu_allocator.h,
  // core/cuda_allocator.h); host blocks are 64-byte aligned so vector kernels may use aligned loads.
  Storage(size_t nbytes, Device device);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  size_t nbytes() const { return nbytes_; }
  Device device() const { return device_; }

 private:
  void* data_ = nullptr;
  size_t nbytes_ = 0;
  Device device_;
};

using StoragePtr = std::shared_ptr<Storage>;

}  // namespace oc
