// Seeded, reproducible random tensors. A Generator is (seed, offset); each draw uses blocks
// [offset, offset + used) of the Philox stream and advances offset, on CPU and CUDA alike.
#pragma once
#include <cstdint>

#include "core/tensor.h"

namespace oc {

struct Generator {
  uint64_t seed = 0;
  uint64_t offset = 0;
  explicit Generator(uint64_t s = 0) : seed(s) {}
};

// The process-wide generator used when none is passed.
Generator& default_generator();
void manual_seed(uint64_t seed);

Tensor uniform(const Shape& shape, double lo = 0, double hi = 1, Generator* gen = nullptr, DType dtype = DType::f32,
               Device device = Device::cpu());
Tensor normal(const Shape& shape, double mean = 0, double std = 1, Generator* gen = nullptr, DType dtype = DType::f32,
              Device device = Device::cpu());
// 1 with probability p, else 0 (in `dtype`).
Tensor bernoulli(const Shape& shape, double p, Generator* gen = nullptr, DType dtype = DType::f32,
                 Device device = Device::cpu());
// A random permutation of 0..n-1 (int64), by Fisher-Yates on the host.
Tensor randperm(int64_t n, Generator* gen = nullptr, Device device = Device::cpu());

}  // namespace oc
