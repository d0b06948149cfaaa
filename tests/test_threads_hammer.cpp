// Several threads at once through the shared, threaded parts of the core: the thread pool (regions
// started from many threads, nested, resized under load), the host and device caching allocators,
// and data loaders whose workers call into the pool while the consumer runs kernels too, abandoned
// mid-epoch. Each test checks results that a lost update or a block handed out twice would break;
// tools/test_tsan.sh runs them under ThreadSanitizer, which also reports the races themselves.
// Catch2's assertions are not thread-safe: the threads count what went wrong, the test checks after.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/cpu_allocator.h"
#include "core/device.h"
#include "core/thread_pool.h"
#include "tests/helpers.h"
#include "train/data/loader.h"
#if OCELLUS_HAS_CUDA
#include "core/cuda_allocator.h"
#include "core/cuda_api.h"
#endif

using namespace oc;

namespace {

// Restores the pool's size when a test ends, also on a failed REQUIRE.
struct PoolSize {
  int before = num_threads();
  explicit PoolSize(int n) { set_num_threads(n); }
  ~PoolSize() { set_num_threads(before); }
};

// Runs body(t) on `count` threads and joins them.
template <class Body>
void on_threads(int count, Body body) {
  std::vector<std::thread> threads;
  for (int t = 0; t < count; ++t) threads.emplace_back([&body, t] { body(t); });
  for (std::thread& th : threads) th.join();
}

// One region over [0, n): every index is written by exactly one chunk, and every chunk of
// `nested_every` runs a nested region over its own range (inline, by the pool's rule). Returns the
// number of indices not visited exactly once, or not given the right value.
int64_t region_errors(int64_t n, int64_t grain, int64_t salt) {
  std::vector<int> visits(static_cast<size_t>(n), 0);
  std::vector<int64_t> value(static_cast<size_t>(n), -1);
  parallel_for(0, n, grain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) visits[i]++;
    parallel_for(b, e, 1, [&](int64_t bb, int64_t ee) {
      for (int64_t i = bb; i < ee; ++i) value[i] = i * 3 + salt;
    });
  });
  int64_t errors = 0;
  for (int64_t i = 0; i < n; ++i) errors += visits[i] != 1 || value[i] != i * 3 + salt;
  return errors;
}

}  // namespace

TEST_CASE("threads hammer: parallel regions from four threads at once, nested, with errors thrown to their own caller") {
  PoolSize size(4);
  std::atomic<int64_t> wrong_indices{0}, wrong_errors{0}, regions{0};
  on_threads(4, [&](int t) {
    std::mt19937 rng(100 + t);
    for (int round = 0; round < 40; ++round) {
      const int64_t n = 500 + static_cast<int64_t>(rng() % 4000), grain = 1 + static_cast<int64_t>(rng() % 64);
      wrong_indices += region_errors(n, grain, t * 1000 + round);
      regions++;
      if (round % 8 == 5) {  // a chunk throws: this thread's caller gets its own message
        const std::string expected = "boom from thread " + std::to_string(t) + " round " + std::to_string(round);
        try {
          parallel_for(0, 256, 4, [&](int64_t b, int64_t e) {
            if (b <= 100 && 100 < e) OC_FAIL("boom from thread ", t, " round ", round);
          });
          wrong_errors++;  // nothing thrown
        } catch (const Error& err) {
          wrong_errors += std::string(err.what()).find(expected) == std::string::npos;
        }
      }
    }
  });
  REQUIRE(regions.load() == 160);
  REQUIRE(wrong_indices.load() == 0);
  REQUIRE(wrong_errors.load() == 0);
  // The pool is still whole: a plain region afterwards covers its range.
  REQUIRE(region_errors(10000, 16, 7) == 0);
}

TEST_CASE("threads hammer: set_num_threads while two other threads run parallel regions") {
  PoolSize size(3);
  std::atomic<bool> done{false};
  std::atomic<int64_t> wrong_indices{0}, regions{0}, resizes{0};
  std::thread resizer([&] {
    for (int k = 0; !done.load(); k = (k + 1) % 4) {
      set_num_threads(1 + k);  // 1, 2, 3, 4 threads: 1 runs every region inline
      resizes++;
      std::this_thread::yield();
    }
  });
  // Regions keep starting until the pool has been resized 20 times under them.
  on_threads(2, [&](int t) {
    for (int round = 0; round < 60 || resizes.load() < 20; ++round) {
      wrong_indices += region_errors(3000 + 17 * (round % 60), 8, t * 100 + round);
      regions++;
    }
  });
  done = true;
  resizer.join();
  REQUIRE(regions.load() >= 120);
  REQUIRE(resizes.load() >= 20);
  REQUIRE(wrong_indices.load() == 0);
}

TEST_CASE("threads hammer: the CPU caching allocator from four threads, no block handed out twice, counters balance") {
  cpu_empty_cache();
  cpu_reset_stats();
  const CpuMemoryStats before = cpu_memory_stats();
  // Cached classes from 64 KiB up (two sizes share the 104 KiB class) and a small size that
  // bypasses the cache.
  const size_t sizes[] = {64 << 10, 98 << 10, 100 << 10, 300 << 10, 1 << 20, 1000};
  std::atomic<int64_t> corrupted{0}, cacheable{0};
  std::atomic<bool> done{false};
  // A fifth thread reads the counters and empties the cache while the others allocate.
  std::thread watcher([&] {
    while (!done.load()) {
      const CpuMemoryStats s = cpu_memory_stats();
      if (s.hits > s.requests) corrupted++;
      cpu_empty_cache();
      std::this_thread::yield();
    }
  });
  on_threads(4, [&](int t) {
    struct Live {
      unsigned char* p;
      size_t n;
      unsigned char mark;
    };
    std::vector<Live> live;
    std::mt19937 rng(7 + t);
    auto release = [&](size_t k) {
      const Live b = live[k];
      // The block still holds this thread's mark at both ends and in the middle: nobody else had it.
      for (size_t off : {size_t{0}, b.n / 2, b.n - 64})
        for (size_t j = 0; j < 64; ++j) corrupted += b.p[off + j] != b.mark;
      cpu_caching_free(b.p, b.n);
      live.erase(live.begin() + static_cast<std::ptrdiff_t>(k));
    };
    for (int i = 0; i < 300; ++i) {
      if (live.size() < 5 && (live.empty() || rng() % 3 != 0)) {
        const size_t n = sizes[rng() % std::size(sizes)];
        auto* p = static_cast<unsigned char*>(cpu_caching_alloc(n));
        const auto mark = static_cast<unsigned char>(t * 64 + i % 64 + 1);
        std::memset(p, mark, n);
        live.push_back({p, n, mark});
        cacheable += n >= (64 << 10);
      } else {
        release(rng() % live.size());
      }
    }
    while (!live.empty()) release(live.size() - 1);
  });
  done = true;
  watcher.join();
  const CpuMemoryStats after = cpu_memory_stats();
  REQUIRE(corrupted.load() == 0);
  REQUIRE(after.allocated == before.allocated);
  REQUIRE(after.requests == before.requests + cacheable.load());
  REQUIRE(after.hits <= after.requests);
  if (before.cache_limit > 0) REQUIRE(after.hits > before.hits);  // blocks did come back from the cache
  cpu_empty_cache();
  REQUIRE(cpu_memory_stats().cached == 0);
}

#if OCELLUS_HAS_CUDA
TEST_CASE("threads hammer: the CUDA caching allocator from four threads on two devices, no block handed out twice",
          "[may_skip]") {
  if (!cuda_available()) test::skip_test("no CUDA device is present");
  const int devices = std::min(cuda_device_count(), 2);
  cuda_empty_cache();
  std::vector<CudaMemoryStats> before;
  for (int d = 0; d < devices; ++d) before.push_back(cuda_memory_stats(d));
  // Small (512 B rounding) and large (2 MiB rounding) blocks; 1536 KiB and 3 MiB share a 4 MiB block.
  const size_t sizes[] = {1000, 4096, 300 << 10, 1536 << 10, 3 << 20};
  std::atomic<int64_t> corrupted{0}, cuda_errors{0}, allocations{0};
  std::atomic<bool> done{false};
  std::thread watcher([&] {  // reads the counters and gives cached blocks back meanwhile
    while (!done.load()) {
      for (int d = 0; d < devices; ++d) {
        const CudaMemoryStats s = cuda_memory_stats(d);
        corrupted += s.allocated > s.reserved;  // live blocks are part of what is held from the driver
      }
      cuda_empty_cache();
      std::this_thread::yield();
    }
  });
  on_threads(4, [&](int t) {
    const int device = t % devices;
    CudaDeviceGuard guard(Device::cuda(device));
    struct Live {
      void* p;
      size_t n;
      unsigned char mark;
    };
    std::vector<Live> live;
    std::mt19937 rng(31 + t);
    auto release = [&](size_t k) {
      const Live b = live[k];
      unsigned char tail[16] = {}, head[16] = {};
      cuda_errors += cudaMemcpy(head, b.p, 16, cudaMemcpyDeviceToHost) != cudaSuccess;
      cuda_errors += cudaMemcpy(tail, static_cast<char*>(b.p) + b.n - 16, 16, cudaMemcpyDeviceToHost) != cudaSuccess;
      for (int j = 0; j < 16; ++j) corrupted += (head[j] != b.mark) + (tail[j] != b.mark);
      cuda_caching_free(b.p, device);
      live.erase(live.begin() + static_cast<std::ptrdiff_t>(k));
    };
    for (int i = 0; i < 200; ++i) {
      if (live.size() < 4 && (live.empty() || rng() % 3 != 0)) {
        const size_t n = sizes[rng() % std::size(sizes)];
        void* p = cuda_caching_alloc(n, device);
        const auto mark = static_cast<unsigned char>(t * 64 + i % 64 + 1);
        cuda_errors += cudaMemset(p, mark, n) != cudaSuccess;
        live.push_back({p, n, mark});
        allocations++;
      } else {
        release(rng() % live.size());
      }
    }
    while (!live.empty()) release(live.size() - 1);
  });
  done = true;
  watcher.join();
  REQUIRE(cuda_errors.load() == 0);
  REQUIRE(corrupted.load() == 0);
  cuda_empty_cache();
  int64_t malloc_calls = 0;
  for (int d = 0; d < devices; ++d) {
    const CudaMemoryStats s = cuda_memory_stats(d);
    INFO("cuda:" << d);
    REQUIRE(s.allocated == before[d].allocated);
    REQUIRE(s.reserved == before[d].reserved);  // every block came back to the cache, then to the driver
    malloc_calls += static_cast<int64_t>(s.cuda_malloc_calls - before[d].cuda_malloc_calls);
  }
  REQUIRE(malloc_calls >= 1);
  REQUIRE(malloc_calls <= allocations.load());
}
#endif

namespace {

// N images [1,H,W]; pixel k of sample i is (5 i + 11 k) mod 256; label i.
ImageDataset hammer_images(int64_t n, int64_t h, int64_t w) {
  std::vector<uint8_t> px(static_cast<size_t>(n * h * w));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t k = 0; k < h * w; ++k) px[i * h * w + k] = static_cast<uint8_t>((5 * i + 11 * k) % 256);
  std::vector<int64_t> labels(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) labels[i] = i;
  ImageDataset ds;
  ds.images = from_vector(px, {n, 1, h, w});
  ds.labels = from_vector(labels, {n});
  ds.num_classes = n;
  // A transform that calls into the thread pool from the loader's workers: rows flipped upside down
  // and xor'ed with the epoch's key, one parallel region over the rows. Sample 37 fails in
  // epochs whose key is odd.
  ds.transform = [h, w](int64_t index, uint64_t seed, const Tensor& image, float*, uint8_t*) {
    OC_CHECK(index != 37 || seed % 2 == 0, "hammer transform: sample 37 refuses this epoch");
    Tensor out = Tensor::empty({1, h, w}, DType::u8);
    const uint8_t* src = image.data<uint8_t>();
    uint8_t* dst = out.data<uint8_t>();
    parallel_for(0, h, 1, [&](int64_t b, int64_t e) {
      for (int64_t y = b; y < e; ++y)
        for (int64_t x = 0; x < w; ++x) dst[y * w + x] = src[(h - 1 - y) * w + x] ^ static_cast<uint8_t>(seed);
    });
    return out;
  };
  return ds;
}

LoaderOptions hammer_options(int workers, int prefetch) {
  LoaderOptions opt;
  opt.batch_size = 6;
  opt.seed = 11;
  opt.workers = workers;
  opt.prefetch = prefetch;
  opt.augment.horizontal_flip = true;  // any augmentation turns the data set's transform on
  return opt;
}

// The epoch's images, batch after batch; while waiting for each batch, the consumer runs a
// parallel region of its own (as a training step would), racing the workers for the pool.
std::vector<float> epoch_pixels(DataLoader& loader, int64_t epoch, int64_t* region_errors_seen) {
  std::vector<float> all;
  loader.start_epoch(epoch);
  Batch b;
  while (loader.next(b)) {
    std::vector<float> v = to_vector<float>(b.images);
    all.insert(all.end(), v.begin(), v.end());
    *region_errors_seen += region_errors(2000, 8, b.index);
  }
  return all;
}

// The first epoch whose augmentation key is odd (sample 37 refuses it) and the first whose key is even.
std::pair<int64_t, int64_t> failing_and_working_epochs() {
  int64_t odd = -1, even = -1;
  for (int64_t e = 0; odd < 0 || even < 0; ++e) {
    int64_t& slot = DataLoader::augment_seed(11, e) % 2 ? odd : even;
    if (slot < 0) slot = e;
  }
  return {odd, even};
}

}  // namespace

TEST_CASE("threads hammer: loader workers calling the pool match the inline loader, survive abandoned epochs and a failing sample") {
  PoolSize size(3);
  const ImageDataset ds = hammer_images(64, 12, 10);
  const auto [bad_epoch, good_epoch] = failing_and_working_epochs();
  int64_t region_errors_seen = 0;
  DataLoader reference(ds, hammer_options(0, 1));
  const std::vector<float> want = epoch_pixels(reference, good_epoch, &region_errors_seen);
  REQUIRE(want.size() == static_cast<size_t>(64 * 12 * 10));

  DataLoader three(ds, hammer_options(3, 2));
  REQUIRE(epoch_pixels(three, good_epoch, &region_errors_seen) == want);

  // Abandoned with batches in flight: destroyed, or restarted on another epoch, after 0-3 batches.
  for (int i = 0; i < 12; ++i) {
    DataLoader l(ds, hammer_options(2 + i % 3, 1 + i % 3));
    l.start_epoch(good_epoch);
    Batch b;
    for (int k = 0; k < i % 4; ++k) REQUIRE(l.next(b));
    if (i % 2) l.start_epoch(good_epoch, 2);
  }

  // Sample 37 fails in the worker that assembles it: next() rethrows, and the next epoch is whole.
  REQUIRE_THROWS_WITH(epoch_pixels(three, bad_epoch, &region_errors_seen),
                      Catch::Contains("sample 37 refuses this epoch"));
  REQUIRE(epoch_pixels(three, good_epoch, &region_errors_seen) == want);
  REQUIRE(region_errors_seen == 0);
}
