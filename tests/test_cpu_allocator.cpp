// The host caching allocator (core/cpu_allocator.h): reuse within a size class, alignment, the
// counters, empty_cache, and a clear error when the system has no memory for a request.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>

#include "core/cpu_allocator.h"
#include "tests/helpers.h"

using namespace oc;

TEST_CASE("cpu allocator: a freed block comes back for a request of its size class") {
  cpu_empty_cache();
  const CpuMemoryStats before = cpu_memory_stats();
  void* a = cpu_caching_alloc(100 * 1024);
  REQUIRE(reinterpret_cast<uintptr_t>(a) % 64 == 0);
  REQUIRE(cpu_memory_stats().allocated == before.allocated + 100 * 1024);
  cpu_caching_free(a, 100 * 1024);
  // 98 KiB and 100 KiB round to the same class (104 KiB: eight steps of 8 KiB above 64 KiB).
  void* b = cpu_caching_alloc(98 * 1024);
  const CpuMemoryStats after = cpu_memory_stats();
  REQUIRE(after.requests == before.requests + 2);
  if (before.cache_limit > 0) {
    REQUIRE(b == a);
    REQUIRE(after.hits == before.hits + 1);
  } else {  // caching off (AddressSanitizer builds, OCELLUS_CPU_CACHE_MB=0): nothing is kept
    REQUIRE(after.hits == before.hits);
    REQUIRE(after.cached == 0);
  }
  // Another class is not served from this one's blocks.
  void* c = cpu_caching_alloc(200 * 1024);
  REQUIRE(c != b);
  REQUIRE(cpu_memory_stats().hits == after.hits);
  cpu_caching_free(b, 98 * 1024);
  cpu_caching_free(c, 200 * 1024);
  REQUIRE(cpu_memory_stats().allocated == before.allocated);
  if (before.cache_limit > 0) REQUIRE(cpu_memory_stats().cached >= (104 + 200) * 1024);
  cpu_empty_cache();
  REQUIRE(cpu_memory_stats().cached == 0);
}

TEST_CASE("cpu allocator: small blocks bypass the cache, zero bytes give null") {
  const CpuMemoryStats before = cpu_memory_stats();
  void* p = cpu_caching_alloc(1000);
  REQUIRE(p != nullptr);
  REQUIRE(reinterpret_cast<uintptr_t>(p) % 64 == 0);
  cpu_caching_free(p, 1000);
  REQUIRE(cpu_memory_stats().requests == before.requests);
  REQUIRE(cpu_caching_alloc(0) == nullptr);
  cpu_caching_free(nullptr, 0);
}

TEST_CASE("cpu allocator: a request the system cannot meet is an error naming its size") {
  const size_t huge = size_t{1} << 60;
  const CpuMemoryStats before = cpu_memory_stats();
  REQUIRE_THROWS_WITH(cpu_caching_alloc(huge), Catch::Contains("out of host memory allocating 1152921504606846976 bytes"));
  REQUIRE(cpu_memory_stats().allocated == before.allocated);
}

TEST_CASE("cpu allocator: a memory limit refuses the request that would pass it, naming the sizes") {
  const CpuMemoryStats before = cpu_memory_stats();
  const size_t limit = before.allocated + (size_t{3} << 20);
  cpu_set_memory_limit(limit);
  struct Unlimit {  // a failed REQUIRE must not leave the limit on for the tests after this one
    ~Unlimit() { cpu_set_memory_limit(0); }
  } unlimit;
  void* a = cpu_caching_alloc(size_t{2} << 20);  // fits: 2 of the 3 MiB left
  REQUIRE(a != nullptr);
  REQUIRE_THROWS_WITH(cpu_caching_alloc(size_t{2} << 20),
                      Catch::Contains("out of host memory allocating 2097152 bytes") &&
                          Catch::Contains(std::to_string(limit)) && Catch::Contains("OCELLUS_CPU_MEMORY_MB"));
  REQUIRE(cpu_memory_stats().allocated == before.allocated + (size_t{2} << 20));  // the refusal took nothing
  cpu_caching_free(a, size_t{2} << 20);
  void* b = cpu_caching_alloc(size_t{2} << 20);  // freed memory counts no more
  cpu_caching_free(b, size_t{2} << 20);
  REQUIRE(cpu_memory_stats().allocated == before.allocated);
}
