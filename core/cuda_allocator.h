// Device memory without a cudaMalloc/cudaFree per op: freed blocks are cached by size and reused.
#pragma once
#include <cstddef>

namespace oc {

void* cuda_caching_alloc(size_t nbytes, int device);
void cuda_caching_free(void* p, int device);

struct CudaMemoryStats {
  size_t allocated = 0;       // bytes in live blocks
  size_t reserved = 0;        // bytes held from cudaMalloc (live + cached)
  size_t peak_allocated = 0;  // high-water mark of `allocated`
  size_t cuda_malloc_calls = 0;
};
CudaMemoryStats cuda_memory_stats(int device = 0);
void cuda_reset_peak(int device = 0);
// Returns every cached (unused) block to the driver.
void cuda_empty_cache();

}  // namespace oc
