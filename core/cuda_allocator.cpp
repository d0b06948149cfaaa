// Caching allocator: blocks are rounded up (512 B small, 2 MiB large) and kept in per-size free lists.
// All kernels run on one stream per device, so a freed block may be handed out again at once:
// later work on the same stream is ordered after the work that used it.
#if OCELLUS_HAS_CUDA
#include "core/cuda_allocator.h"

#include <map>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "core/cuda_context.h"
#include "core/device.h"

// Under the emulation (device memory is host memory) with AddressSanitizer, cached blocks and the
// rounding tail past each request are poisoned: a kernel reading past its tensor is reported there.
#if OCELLUS_CUDA_EMULATED && defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define OC_POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define OC_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define OC_POISON(p, n) ((void)(p), (void)(n))
#define OC_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

namespace oc {
namespace {

constexpr size_t kSmallRound = 512;
constexpr size_t kLargeThreshold = 1 << 20;
constexpr size_t kLargeRound = 2 << 20;

size_t round_size(size_t n) {
  if (n < kLargeThreshold) return (n + kSmallRound - 1) / kSmallRound * kSmallRound;
  return (n + kLargeRound - 1) / kLargeRound * kLargeRound;
}

struct DeviceCache {
  std::multimap<size_t, void*> free_blocks;    // size -> pointer
  std::unordered_map<void*, size_t> live;      // pointer -> size
  CudaMemoryStats stats;
};

std::mutex g_mutex;
// Never destroyed: blocks stay cached (and reachable, for LeakSanitizer) until the process ends, and
// tensors freed by other static destructors still find their cache.
std::vector<DeviceCache>& caches() {
  static auto* c = new std::vector<DeviceCache>(16);
  return *c;
}

void release_cached(DeviceCache& c) {
  for (auto& [size, p] : c.free_blocks) {
    OC_UNPOISON(p, size);
    cudaFree(p);
    c.stats.reserved -= size;
  }
  c.free_blocks.clear();
}

}  // namespace

void* cuda_caching_alloc(size_t nbytes, int device) {
  require_cuda("cuda allocation");
  if (nbytes == 0) return nullptr;
  OC_CHECK(nbytes <= (size_t{1} << 62), "CUDA out of memory allocating ", nbytes, " bytes on cuda:", device,
           ": no device holds that much");  // and round_size would wrap around
  size_t size = round_size(nbytes);
  std::lock_guard<std::mutex> lk(g_mutex);
  DeviceCache& c = caches().at(device);
  // Reuse the smallest cached block that fits, unless it wastes more than half of it.
  auto it = c.free_blocks.lower_bound(size);
  void* p = nullptr;
  if (it != c.free_blocks.end() && it->first <= 2 * size) {
    size = it->first;
    p = it->second;
    c.free_blocks.erase(it);
  } else {
    int prev = 0;
    CUDA_CHECK(cudaGetDevice(&prev));
    if (prev != device) CUDA_CHECK(cudaSetDevice(device));
    cudaError_t err = cudaMalloc(&p, size);
    if (err == cudaErrorMemoryAllocation) {  // give the cache back and try once more
      cudaGetLastError();
      CUDA_CHECK(cudaDeviceSynchronize());
      release_cached(c);
      err = cudaMalloc(&p, size);
    }
    if (err != cudaSuccess) {
      cudaGetLastError();
      size_t free_bytes = 0, total_bytes = 0;
      const bool info = cudaMemGetInfo(&free_bytes, &total_bytes) == cudaSuccess;
      if (prev != device) cudaSetDevice(prev);
      OC_FAIL("CUDA out of memory allocating ", nbytes, " bytes on cuda:", device, ": ", c.stats.allocated,
              " bytes are in use by tensors",
              info ? str_cat(", and the device has ", free_bytes, " of its ", total_bytes, " bytes free") : "", " (",
              cudaGetErrorString(err), "; a smaller data.batch_size or image size needs less)");
    }
    if (prev != device) CUDA_CHECK(cudaSetDevice(prev));
    c.stats.reserved += size;
    c.stats.cuda_malloc_calls++;
  }
  OC_UNPOISON(p, nbytes);
  OC_POISON(static_cast<char*>(p) + nbytes, size - nbytes);
  c.live[p] = size;
  c.stats.allocated += size;
  if (c.stats.allocated > c.stats.peak_allocated) c.stats.peak_allocated = c.stats.allocated;
  return p;
}

void cuda_caching_free(void* p, int device) {
  if (!p) return;
  std::lock_guard<std::mutex> lk(g_mutex);
  DeviceCache& c = caches().at(device);
  auto it = c.live.find(p);
  if (it == c.live.end()) return;
  c.stats.allocated -= it->second;
  OC_POISON(p, it->second);
  c.free_blocks.emplace(it->second, p);
  c.live.erase(it);
}

CudaMemoryStats cuda_memory_stats(int device) {
  std::lock_guard<std::mutex> lk(g_mutex);
  return caches().at(device).stats;
}

void cuda_reset_peak(int device) {
  std::lock_guard<std::mutex> lk(g_mutex);
  auto& s = caches().at(device).stats;
  s.peak_allocated = s.allocated;
}

void cuda_empty_cache() {
  std::lock_guard<std::mutex> lk(g_mutex);
  for (auto& c : caches()) release_cached(c);
}

}  // namespace oc
#endif
