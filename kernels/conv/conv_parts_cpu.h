// The CPU weight gradients sum over the batch in a fixed number of parts (contiguous ranges of
// images, each into its own buffer, the buffers then added in order), however many threads run
// them: every element's additions come in the same order, so a training run gives the same numbers
// on 1 thread or 64.
#pragma once
#include <algorithm>
#include <cstdint>

#include "core/thread_pool.h"

namespace oc {

constexpr int64_t kWeightGradParts = 16;                   // every thread busy up to 16 threads
constexpr int64_t kWeightGradPartsBytes = int64_t{64} << 20;  // at most this much in part buffers

// How many parts for `units` units of work into sums of `values` values of `value_bytes` each: up
// to kWeightGradParts, no more than the units, fewer for large weights (the memory cap); never
// the thread count.
inline int64_t weight_grad_parts(int64_t units, int64_t values, int64_t value_bytes) {
  const int64_t by_memory = kWeightGradPartsBytes / std::max<int64_t>(1, values * value_bytes);
  return std::max<int64_t>(1, std::min({kWeightGradParts, units, by_memory}));
}

// dst[i] += src[p * stride + i] for p = 0, 1, ..., count - 1 in that order, for i in [0, n); the
// elements are split among threads, never the order of one element's terms.
template <class T>
void add_parts_in_order(T* dst, const T* src, int64_t count, int64_t stride, int64_t n) {
  if (count <= 0) return;
  parallel_for(0, n, 4096, [&](int64_t b, int64_t e) {
    for (int64_t p = 0; p < count; ++p) {
      const T* s = src + p * stride;
      for (int64_t i = b; i < e; ++i) dst[i] += s[i];
    }
  });
}

}  // namespace oc
