// Host memory for tensor storage. Blocks of 64 KiB and more are cached by size class when freed and
// handed out again: a training step frees and re-allocates the same activation sizes every step, and
// fresh pages from the system would be faulted in (and zeroed) on every op's first touch. Smaller
// blocks go straight to malloc, which already recycles them. Blocks are 64-byte aligned.
// The cache holds at most OCELLUS_CPU_CACHE_MB MiB (default 2048; 0 turns caching off) and is off in
// AddressSanitizer builds, where reuse would hide use-after-free. OCELLUS_CPU_MEMORY_MB (or
// cpu_set_memory_limit) caps the bytes live tensors may hold: a request past it is an oc::Error naming
// the sizes, as one past the machine's memory always is.
#pragma once
#include <cstddef>
#include <cstdint>

namespace oc {

void* cpu_caching_alloc(size_t nbytes);  // nullptr for 0 bytes; out of memory throws oc::Error
void cpu_caching_free(void* p, size_t nbytes);  // nbytes as allocated

struct CpuMemoryStats {
  size_t allocated = 0;       // bytes in live blocks (as requested)
  size_t cached = 0;          // bytes in freed blocks kept for reuse
  size_t peak_allocated = 0;  // high-water mark of `allocated`
  int64_t requests = 0;       // allocations of cacheable size (>= 64 KiB)
  int64_t hits = 0;           // of them, served from the cache
  size_t cache_limit = 0;     // bytes the cache may hold
  size_t memory_limit = 0;    // bytes live tensors may hold (0: the machine's memory)
};
CpuMemoryStats cpu_memory_stats();
// Zeroes the counters (requests, hits) and sets the peak to what is allocated now.
void cpu_reset_stats();
// Caps the bytes live tensors may hold (0: no cap but the machine's memory).
void cpu_set_memory_limit(size_t bytes);
// Returns every cached block to the system.
void cpu_empty_cache();

}  // namespace oc
