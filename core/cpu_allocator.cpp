// The host caching allocator (cpu_allocator.h): one mutex, free lists per size class.
#include "core/cpu_allocator.h"

#include <unistd.h>

#include <cstdlib>
#include <map>
#include <mutex>
#include <vector>

#include "core/error.h"

namespace oc {
namespace {

constexpr size_t kMinCached = 64 * 1024;
constexpr size_t kAlign = 64;

// Sizes round up to a class: eight steps per power of two (at most 12.5% unused), so the blocks of
// a class are interchangeable.
size_t size_class(size_t nbytes) {
  size_t pow2 = kMinCached;
  while (pow2 * 2 <= nbytes) pow2 *= 2;
  const size_t step = pow2 / 8;
  return (nbytes + step - 1) / step * step;
}

size_t cache_limit_from_env() {
#if defined(__SANITIZE_ADDRESS__)
  return 0;
#else
  if (const char* env = std::getenv("OCELLUS_CPU_CACHE_MB")) return static_cast<size_t>(std::atoll(env)) << 20;
  return size_t{2048} << 20;
#endif
}

void* system_alloc(size_t bytes) { return std::aligned_alloc(kAlign, (bytes + kAlign - 1) / kAlign * kAlign); }

// The machine's memory: a larger request can never succeed, so it is refused before the system
// (or a sanitizer's allocator, which aborts instead of returning null) is asked.
size_t physical_memory() {
  static const size_t bytes = static_cast<size_t>(sysconf(_SC_PHYS_PAGES)) * static_cast<size_t>(sysconf(_SC_PAGE_SIZE));
  return bytes;
}

size_t memory_limit_from_env() {
  if (const char* env = std::getenv("OCELLUS_CPU_MEMORY_MB")) return static_cast<size_t>(std::atoll(env)) << 20;
  return 0;
}

struct Cache {
  std::mutex mutex;
  std::map<size_t, std::vector<void*>> free_blocks;  // by class size
  CpuMemoryStats stats;
  Cache() {
    stats.cache_limit = cache_limit_from_env();
    stats.memory_limit = memory_limit_from_env();
  }

  void release_all() {  // with mutex held
    for (auto& [size, blocks] : free_blocks)
      for (void* p : blocks) std::free(p);
    free_blocks.clear();
    stats.cached = 0;
  }
};

Cache& cache() {
  static Cache* c = new Cache;  // never destroyed: tensors may be freed during static destruction
  return *c;
}

}  // namespace

void* cpu_caching_alloc(size_t nbytes) {
  if (nbytes == 0) return nullptr;
  Cache& c = cache();
  const bool cacheable = nbytes >= kMinCached;
  const size_t bytes = cacheable ? size_class(nbytes) : nbytes;
  {
    std::lock_guard<std::mutex> lock(c.mutex);
    if (c.stats.memory_limit && c.stats.allocated + nbytes > c.stats.memory_limit)
      OC_FAIL("out of host memory allocating ", nbytes, " bytes: ", c.stats.allocated,
              " bytes are in use by tensors and the limit is ", c.stats.memory_limit,
              " bytes (OCELLUS_CPU_MEMORY_MB)");
    c.stats.allocated += nbytes;
    c.stats.peak_allocated = std::max(c.stats.peak_allocated, c.stats.allocated);
    if (cacheable) {
      c.stats.requests++;
      auto it = c.free_blocks.find(bytes);
      if (it != c.free_blocks.end() && !it->second.empty()) {
        void* p = it->second.back();
        it->second.pop_back();
        c.stats.cached -= bytes;
        c.stats.hits++;
        return p;
      }
    }
  }
  void* p = bytes <= physical_memory() ? system_alloc(bytes) : nullptr;
  if (!p && bytes <= physical_memory()) {  // the cache may hold what the system lacks
    std::lock_guard<std::mutex> lock(c.mutex);
    c.release_all();
    p = system_alloc(bytes);
  }
  if (!p) {
    std::lock_guard<std::mutex> lock(c.mutex);
    c.stats.allocated -= nbytes;
    OC_FAIL("out of host memory allocating ", nbytes, " bytes (the machine has ", physical_memory(), " bytes; ",
            c.stats.allocated, " bytes in use by tensors)");
  }
  return p;
}

void cpu_caching_free(void* p, size_t nbytes) {
  if (!p) return;
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  c.stats.allocated -= nbytes;
  if (nbytes >= kMinCached) {
    const size_t bytes = size_class(nbytes);
    if (c.stats.cached + bytes <= c.stats.cache_limit) {
      c.free_blocks[bytes].push_back(p);
      c.stats.cached += bytes;
      return;
    }
  }
  std::free(p);
}

CpuMemoryStats cpu_memory_stats() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  return c.stats;
}

void cpu_reset_stats() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  c.stats.requests = c.stats.hits = 0;
  c.stats.peak_allocated = c.stats.allocated;
}

void cpu_set_memory_limit(size_t bytes) {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  c.stats.memory_limit = bytes;
}

void cpu_empty_cache() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  c.release_all();
}

}  // namespace oc
